/**
 * Plain-text and HTML bodies of every mail Parapet sends. Links are absolute, built on the public
 * URL; tokens travel in the URL fragment, which browsers never send to a server, so they stay out
 * of access logs and Referer headers (the page posts them in a request body).
 */
export type MailTemplate =
  | { readonly kind: 'invitation'; readonly organization: string; readonly inviter: string; readonly role: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'verify_email'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'password_reset'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'email_change_confirm'; readonly newEmail: string; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'email_change_notice'; readonly newEmail: string; readonly token: string; readonly expiresAt: Date };

export type MailKind = MailTemplate['kind'];

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A body of paragraphs and one call to action, as text and as minimal HTML. */
function compose(subject: string, paragraphs: readonly string[], action: { label: string; url: string }, footer: string): RenderedMail {
  const text = [...paragraphs, `${action.label}: ${action.url}`, footer].join('\n\n') + '\n';
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`,
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
  }
}
