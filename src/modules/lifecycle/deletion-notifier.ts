/** A person told about a deletion: the account's owner, or an organization's owners (`organization-owners.ts`). */
export interface DeletionRecipient {
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
}

/**
 * One notice about a deletion (DATA-3: "the owner is notified"). `scheduled` for an account carries
 * the single-use cancel token: the only way for a user who can no longer sign in to cancel. It is
 * a secret: a notifier sends it to the recipient and never logs it.
 */
export type DeletionNotice =
  | { readonly subject: 'user'; readonly event: 'scheduled'; readonly userId: string; readonly recipients: readonly DeletionRecipient[]; readonly purgeAfter: Date; readonly cancelToken: string }
  | { readonly subject: 'user'; readonly event: 'cancelled' | 'completed'; readonly userId: string; readonly recipients: readonly DeletionRecipient[] }
  | { readonly subject: 'organization'; readonly event: 'scheduled'; readonly tenantId: string; readonly name: string; readonly recipients: readonly DeletionRecipient[]; readonly purgeAfter: Date }
  | { readonly subject: 'organization'; readonly event: 'cancelled' | 'completed'; readonly tenantId: string; readonly name: string; readonly recipients: readonly DeletionRecipient[] };

/**
 * Delivers deletion notices; by default by mail (`mailDeletionNotifier`), which only queues. It is
 * called after the deletion's transaction committed, so it never undoes or blocks it: a notifier
 * that throws is logged (`deletion notice not delivered`, the cancel token cut out) and the
 * self-service response says `owner_notified: false`; a mail that fails to deliver is retried and
 * recorded by the mailer. The deletion stays cancellable by a platform administrator either way.
 */
export interface DeletionNotifier {
  notify(notice: DeletionNotice): Promise<void>;
}
