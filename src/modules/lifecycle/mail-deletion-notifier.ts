import type { Mailer, MailTemplate } from '../../platform/mail/index.ts';
import type { DeletionNotice, DeletionNotifier } from './deletion-notifier.ts';

/** The mail template of one deletion notice (the same for each of its recipients). */
function templateOf(notice: DeletionNotice): MailTemplate {
  if (notice.subject === 'user') {
    if (notice.event === 'scheduled') return { kind: 'account_deletion_scheduled', token: notice.cancelToken, purgeAfter: notice.purgeAfter };
    return { kind: notice.event === 'cancelled' ? 'account_deletion_cancelled' : 'account_deletion_completed' };
  }
  if (notice.event === 'scheduled') return { kind: 'organization_deletion_scheduled', organization: notice.name, organizationId: notice.tenantId, purgeAfter: notice.purgeAfter };
  if (notice.event === 'cancelled') return { kind: 'organization_deletion_cancelled', organization: notice.name, organizationId: notice.tenantId };
  return { kind: 'organization_deletion_completed', organization: notice.name };
}

/**
 * Deletion notices by mail (DATA-3), one message per recipient. The deletion service calls it
 * after its transaction committed; `send` only queues, so a notice never waits on SMTP, and the
 * mailer retries a failed delivery, records it in `mail_deliveries` and logs it without the body
 * (where the scheduled account notice's cancel token is).
 */
export function mailDeletionNotifier(mailer: Pick<Mailer, 'prepare' | 'send'>): DeletionNotifier {
  return {
    notify: (notice) => {
      const template = templateOf(notice);
      for (const recipient of notice.recipients) mailer.send(mailer.prepare(recipient.email, template));
      return Promise.resolve();
    },
  };
}
