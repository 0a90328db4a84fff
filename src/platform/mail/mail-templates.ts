/**
 * Plain-text and HTML bodies of every mail Parapet sends. Links are absolute, built on the public
 * URL; tokens travel in the URL fragment, which browsers never send to a server, so they stay out
 * of access logs and Referer headers (the page posts them in a request body).
 */
import { escapeHtml } from '../http/html.ts';

export type MailTemplate =
  | { readonly kind: 'invitation'; readonly organization: string; readonly inviter: string; readonly role: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'verify_email'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'password_reset'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'email_change_confirm'; readonly newEmail: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'email_change_notice'; readonly newEmail: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'password_changed'; readonly at: Date; readonly ip: string | null; readonly sessionsEnded: number }
  | { readonly kind: 'account_deletion_scheduled'; readonly token: string; readonly purgeAfter: Date }
  | { readonly kind: 'account_deletion_cancelled' }
  | { readonly kind: 'account_deletion_completed' }
  | { readonly kind: 'organization_deletion_scheduled'; readonly organization: string; readonly organizationId: string; readonly purgeAfter: Date }
  | { readonly kind: 'organization_deletion_cancelled'; readonly organization: string; readonly organizationId: string }
  | { readonly kind: 'organization_deletion_completed'; readonly organization: string }
  | { readonly kind: 'disclosure_verify'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'disclosure_portal'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'sign_up_verify'; readonly application: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'subscription_confirm'; readonly topic: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'subscription_notice'; readonly topic: string; readonly title: string; readonly body: string; readonly link: string; readonly effectiveAt: Date | null; readonly unsubscribeToken: string; readonly objectionToken: string | null }
  | { readonly kind: 'trust_nda_verify'; readonly document: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'trust_nda_download'; readonly document: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'incident_notice'; readonly organization: string; readonly subject: string; readonly paragraphs: readonly string[] }
  | { readonly kind: 'incident_escalation'; readonly incident: string; readonly incidentId: string; readonly clock: string; readonly source: string; readonly state: 'warning' | 'overdue'; readonly dueAt: Date }
  | { readonly kind: 'security_alert'; readonly alertKind: string; readonly severity: string; readonly organizationId: string; readonly alertId: string; readonly occurrences: number; readonly raisedAt: Date };

export type MailKind = MailTemplate['kind'];

/**
 * Kinds whose recipient is not written to `mail_deliveries`: the last notice of an account goes to
 * an address the purge has just removed, and its delivery record must not keep it (DATA-3).
 */
export const UNRECORDED_RECIPIENT: ReadonlySet<MailKind> = new Set<MailKind>(['account_deletion_completed']);

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A body of paragraphs and at most one call to action, as text and as minimal HTML. */
function compose(subject: string, paragraphs: readonly string[], action: { label: string; url: string } | undefined, footer: string): RenderedMail {
  const text = [...paragraphs, ...(action === undefined ? [] : [`${action.label}: ${action.url}`]), footer].join('\n\n') + '\n';
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(action === undefined ? [] : [`<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`]),
    `<p style="color:#666;font-size:smaller">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

const when = (date: Date) => date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** Renders `template` with links under `publicUrl`. */
export function renderMail(template: MailTemplate, publicUrl: string): RenderedMail {
  switch (template.kind) {
    case 'invitation':
      return compose(
        `You are invited to ${template.organization}`,
        [`${template.inviter} invited you to join ${template.organization} on Parapet as ${template.role}.`, `The link works once, until ${when(template.expiresAt)}.`],
        { label: 'Accept the invitation', url: `${publicUrl}/accept-invitation#token=${template.token}` },
        'If you did not expect this invitation, ignore this message.',
      );
    case 'verify_email':
      return compose(
        'Confirm your email address',
        ['Confirm that this address belongs to your Parapet account.', `The link works once, until ${when(template.expiresAt)}.`],
        { label: 'Confirm the address', url: `${publicUrl}/verify-email#token=${template.token}` },
        'If you did not ask for this, ignore this message.',
      );
    case 'password_reset':
      return compose(
        'Reset your Parapet password',
        ['Someone asked to reset the password of the Parapet account with this address.', `The link works once, until ${when(template.expiresAt)}. Resetting signs you out everywhere; you then sign in with the new password and your second factor.`],
        { label: 'Choose a new password', url: `${publicUrl}/reset-password#token=${template.token}` },
        'If you did not ask for this, ignore this message: your password stays as it is.',
      );
    case 'email_change_confirm':
      return compose(
        'Confirm your new email address',
        [`Confirm that ${template.newEmail} is the new address of your Parapet account.`, `The link works once, until ${when(template.expiresAt)}. Confirming signs out your other sessions.`],
        { label: 'Confirm the new address', url: `${publicUrl}/confirm-email#token=${template.token}` },
        'If you did not ask for this, ignore this message.',
      );
    case 'email_change_notice':
      return compose(
        'Your Parapet email address is being changed',
        [`Someone signed in to your Parapet account asked to change its address to ${template.newEmail}. The change happens when the new address confirms it.`, `If this was not you, report it: the change is cancelled and every session of the account ends. Then reset your password. The link works until ${when(template.expiresAt)}.`],
        { label: 'This was not me', url: `${publicUrl}/report-email-change#token=${template.token}` },
        'If you made this change, ignore this message.',
      );
    case 'password_changed':
      return compose(
        'Your Parapet password was changed',
        [
          `The password of the Parapet account with this address was changed at ${when(template.at)}${template.ip === null ? '' : ` from ${template.ip}`}, by someone signed in who knew the old one.`,
          `Every other session of the account was signed out (${template.sessionsEnded}).`,
          `If this was not you, ask for a password reset at once (${publicUrl}/api/v1/auth/password/reset/request, or your administrator) and tell your administrator.`,
        ],
        undefined,
        'If you made this change, ignore this message.',
      );
    // Vulnerability disclosure (docs/disclosure.md). The pages work without script, so the code is
    // also given to paste; in the link it stays in the fragment, out of access logs.
    case 'disclosure_verify':
      return compose(
        'Confirm your vulnerability report',
        ['Someone submitted a vulnerability report with this address. It is accepted once you confirm the address.', `The link works once, until ${when(template.expiresAt)}. Without the link, paste this code on the confirmation page: ${template.token}`],
        { label: 'Confirm the report', url: `${publicUrl}/security/disclosure/verify#token=${template.token}` },
        'If you did not submit a report, ignore this message: an unconfirmed report is never accepted.',
      );
    case 'disclosure_portal':
      return compose(
        'Your vulnerability reports',
        ['Someone asked to see the vulnerability reports submitted with this address.', `The link works once, until ${when(template.expiresAt)}. Without the link, paste this code on the portal page: ${template.token}`],
        { label: 'See your reports', url: `${publicUrl}/security/disclosure/portal#token=${template.token}` },
        'If you did not ask for this, ignore this message.',
      );
    // Documents under NDA (docs/trust-center.md). The pages work without script, so the code is
    // also given to paste; in the link it stays in the fragment, out of access logs.
    case 'trust_nda_verify':
      return compose(
        'Confirm your request for a document under NDA',
        [`Someone asked for the document "${template.document}" with this address and accepted its NDA. The request goes on once you confirm the address.`, `The link works once, until ${when(template.expiresAt)}. Without the link, paste this code on the confirmation page: ${template.token}`],
        { label: 'Confirm the request', url: `${publicUrl}/trust/documents/verify#token=${template.token}` },
        'If you did not ask for this, ignore this message: nothing is released to an unconfirmed address.',
      );
    case 'trust_nda_download':
      return compose(
        'Your document under NDA is ready',
        [`Your request for "${template.document}" was approved. The copy you download is marked with your address and the time.`, `The link works once, until ${when(template.expiresAt)}. On the download page, enter this address and paste this code: ${template.token}`],
        { label: 'Download the document', url: `${publicUrl}/trust/documents/download#token=${template.token}` },
        'The document is confidential under the NDA you accepted. Do not forward this message.',
      );
    // Self-service sign-up (docs/openid-provider.md): the hosted pages work without script, so the
    // code is also given to paste; in the link it stays in the fragment, out of access logs.
    case 'sign_up_verify':
      return compose(
        `Confirm your email address to create your ${template.application} account`,
        [`Someone asked to create an account with this address to sign in to ${template.application}. It is created once you confirm the address.`, `The link works once, until ${when(template.expiresAt)}. Without the link, paste this code on the confirmation page: ${template.token}`],
        { label: 'Confirm and create the account', url: `${publicUrl}/oidc/sign-up/verify#token=${template.token}` },
        'If you did not ask for this, ignore this message: no account is created.',
      );
    // Subscriptions to public notices (docs/subscriptions.md). The pages work without script, so
    // the links carry their token in the query; the page they open only shows a form that posts it.
    case 'subscription_confirm':
      return compose(
        `Confirm your subscription: ${template.topic}`,
        [`Someone asked to send notices about ${template.topic} to this address. Nothing is sent until you confirm.`, `The link works once, until ${when(template.expiresAt)}.`],
        { label: 'Confirm the subscription', url: `${publicUrl}/subscriptions/confirm?token=${encodeURIComponent(template.token)}` },
        'If you did not ask for this, ignore this message: you will not be subscribed.',
      );
    case 'subscription_notice':
      return compose(
        `${template.topic}: ${template.title}`,
        [
          template.title,
          ...(template.body === '' ? [] : [template.body]),
          ...(template.effectiveAt === null ? [] : [`Takes effect on ${when(template.effectiveAt)}.`]),
          ...(template.objectionToken === null ? [] : [`To object to this change before it takes effect: ${publicUrl}/subscriptions/object?token=${encodeURIComponent(template.objectionToken)}`]),
        ],
        { label: 'Details', url: template.link },
        `You receive this because you subscribed to ${template.topic}. Unsubscribe: ${publicUrl}/subscriptions/unsubscribe?token=${encodeURIComponent(template.unsubscribeToken)}`,
      );
    case 'incident_notice':
      // Every text (the incident's, the operator's message) is escaped by `compose` in the HTML part.
      return compose(template.subject, template.paragraphs, { label: 'Open the console', url: `${publicUrl}/console` }, `You receive this as an administrator (Tenant Admin) of ${template.organization}.`);
    case 'incident_escalation':
      return compose(
        template.state === 'overdue' ? `Overdue: ${template.clock} of incident ${template.incident}` : `Due soon: ${template.clock} of incident ${template.incident}`,
        [
          template.state === 'overdue' ? `The ${template.clock} clock of the incident "${template.incident}" passed its deadline (${when(template.dueAt)}) unmet.` : `The ${template.clock} clock of the incident "${template.incident}" is due at ${when(template.dueAt)}.`,
          `Source: ${template.source}.`,
          `Incident id: ${template.incidentId}.`,
        ],
        { label: 'Open the console', url: `${publicUrl}/console` },
        'You receive this as an incident escalation contact of this Parapet deployment (PARAPET_INCIDENT_ESCALATION_EMAILS).',
      );
    case 'security_alert':
      // Ids, kind and severity only: the alert's text is its organization's (read it in the console).
      return compose(
        `Security alert (${template.severity}): ${template.alertKind}`,
        [
          `A ${template.severity} security alert of kind ${template.alertKind} was raised at ${when(template.raisedAt)} (${template.occurrences} signal(s) in its window).`,
          `Organization id: ${template.organizationId}. Alert id: ${template.alertId}.`,
        ],
        { label: 'Open the console', url: `${publicUrl}/console` },
        'You receive this as a security alert contact of this Parapet deployment (PARAPET_ALERTS_MAIL_TO).',
      );
    default:
      return renderDeletionMail(template, publicUrl);
  }
}

/** What stays after a deletion, said in every notice that announces one (docs/data-lifecycle.md). */
const AUDIT_KEPT = 'Audit log entries that record what was done stay as the legal record until their retention period ends; they are then removed too.';

/** Deletion notices (DATA-3). Only the scheduled account notice carries a token: its own cancel token. */
function renderDeletionMail(template: Extract<MailTemplate, { kind: `${string}_deletion_${string}` }>, publicUrl: string): RenderedMail {
  switch (template.kind) {
    case 'account_deletion_scheduled':
      return compose(
        'Your Parapet account is scheduled for deletion',
        [
          `Deletion of the Parapet account with this address was requested. Every session was signed out and the account cannot sign in. On ${when(template.purgeAfter)} the account and its data are deleted for good.`,
          `To keep the account, cancel the deletion before then with the link below (it works once). Without a browser: POST ${publicUrl}/api/v1/users/deletion/cancel with the token from the link in a JSON body {"token": "…"}.`,
          AUDIT_KEPT,
        ],
        { label: 'Cancel the deletion', url: `${publicUrl}/cancel-deletion#token=${template.token}` },
        'If you did not ask for this, cancel the deletion, then reset your password: someone else may have signed in to your account.',
      );
    case 'account_deletion_cancelled':
      return compose(
        'The deletion of your Parapet account was cancelled',
        ['The deletion of the Parapet account with this address was cancelled: the account stays, and can sign in again unless an administrator had disabled it before.'],
        { label: 'Sign in', url: `${publicUrl}/login` },
        'If you did not cancel it, tell your administrator.',
      );
    case 'account_deletion_completed':
      return compose(
        'Your Parapet account was deleted',
        [
          'The Parapet account with this address was deleted, with its sessions, memberships and role bindings. What remains is a keyed hash (HMAC) of the address, which cannot be turned back into it, and the dates of the account and of its deletion.',
          AUDIT_KEPT,
          'This is the last message sent to this address: Parapet no longer holds it.',
        ],
        undefined,
        'Nothing needs to be done.',
      );
    case 'organization_deletion_scheduled':
      return compose(
        `${template.organization} is scheduled for deletion`,
        [
          `The deletion of the organization ${template.organization} on Parapet was approved. It is read-only from now on. On ${when(template.purgeAfter)} its keys are destroyed and its data deleted; this cannot be undone, backups included.`,
          `To keep it, an administrator of the organization cancels the deletion before then: DELETE ${publicUrl}/api/v1/organizations/${template.organizationId}/deletion (permission organization.delete).`,
          AUDIT_KEPT,
        ],
        { label: 'Open the console', url: `${publicUrl}/console` },
        'You receive this as an administrator (Tenant Admin) of the organization.',
      );
    case 'organization_deletion_cancelled':
      return compose(
        `The deletion of ${template.organization} was cancelled`,
        [`The scheduled deletion of the organization ${template.organization} on Parapet was cancelled. It can be changed again.`],
        { label: 'Open the console', url: `${publicUrl}/console` },
        'You receive this as an administrator (Tenant Admin) of the organization.',
      );
    case 'organization_deletion_completed':
      return compose(
        `${template.organization} was deleted`,
        [`The organization ${template.organization} was deleted from Parapet: its keys were destroyed and its data removed, backups included.`, AUDIT_KEPT],
        undefined,
        'You receive this as an administrator (Tenant Admin) of the organization until its deletion.',
      );
  }
}
