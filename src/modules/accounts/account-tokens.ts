import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { AccountTokenPurpose, AccountTokensTable } from './accounts-tables.ts';

export type AccountTokenRow = Selectable<AccountTokensTable>;

/** How long each kind of account link works (ASVS 6.4.1: reset links are short-lived). */
export const ACCOUNT_LINK_TTL_MS: Readonly<Record<AccountTokenPurpose, number>> = {
  reset_password: 30 * 60_000,
  verify_email: 24 * 3_600_000,
  change_email: 24 * 3_600_000,
  report_email_change: 7 * 24 * 3_600_000,
};

/** The shape of every account link token: 256 random bits, base64url. Others are refused unread. */
export function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/**
 * Issues a single-use token for `purpose` and returns it (the only time it exists in clear; the
 * row holds its SHA-256). Earlier unused tokens of the user for the same purposes stop working.
 */
export async function issueAccountToken(
  tx: Tx,
  deps: { clock: Clock; random: Random },
  input: { userId: string; purpose: AccountTokenPurpose; email: string | null; sessionId?: string | null; supersedes: readonly AccountTokenPurpose[] },
): Promise<{ token: string; expiresAt: Date }> {
  const now = deps.clock.now();
  if (input.supersedes.length > 0) {
    await tx.updateTable('account_tokens').set({ used_at: now }).where('user_id', '=', input.userId).where('purpose', 'in', [...input.supersedes]).where('used_at', 'is', null).execute();
  }
  const token = newSecretToken(deps.random);
  const expiresAt = new Date(now.getTime() + ACCOUNT_LINK_TTL_MS[input.purpose]);
  await tx
    .insertInto('account_tokens')
    .values({ id: uuidv7(deps.clock, deps.random), user_id: input.userId, purpose: input.purpose, token_hash: digestToken(token), email: input.email, session_id: input.sessionId ?? null, created_at: now, expires_at: expiresAt, used_at: null })
    .execute();
  return { token, expiresAt };
}

/** The live (unused, unexpired) token row for `token`, locked for this transaction. */
export async function findLiveToken(tx: Tx, purpose: AccountTokenPurpose, token: string, now: Date): Promise<AccountTokenRow | undefined> {
  if (!isTokenShaped(token)) return undefined;
  return tx
    .selectFrom('account_tokens')
    .selectAll()
    .where('token_hash', '=', digestToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .forUpdate()
    .executeTakeFirst();
}

/** Marks a token used; false when a concurrent request used it first. */
export async function useToken(tx: Tx, id: string, now: Date): Promise<boolean> {
  const result = await tx.updateTable('account_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
