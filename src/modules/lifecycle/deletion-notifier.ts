/** A person told about a deletion: the account's owner, or an organization's owners. */
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
 * Delivers deletion notices (email, in the mail module). Deletion does not wait on it and does not
 * fail with it: a failed delivery is logged and recorded (`owner_notified: false` in the audit
 * event), and the deletion stays cancellable by a platform administrator.
 */
export interface DeletionNotifier {
  notify(notice: DeletionNotice): Promise<void>;
}
