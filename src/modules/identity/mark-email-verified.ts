import type { Tx } from '../../database.ts';

/** Records that `userId`'s current address is verified (a link sent to it was used), inside `tx`. */
export async function markEmailVerified(tx: Tx, userId: string, now: Date): Promise<void> {
  await tx.updateTable('users').set({ email_verified_at: now, updated_at: now }).where('id', '=', userId).execute();
}
