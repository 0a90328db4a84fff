import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { RowIntegrity } from '../identity/index.ts';
import type { AccountTokenPurpose, AccountTokensTable } from './accounts-tables.ts';

export type AccountTokenRow = Selectable<AccountTokensTable>;

/** Issue 13: the row kind of an account link's MAC (migration 0124). */
export const ACCOUNT_TOKEN_ROW = 'account-token/1';

/** The fields the application trusts: whose account, for what, which address and session, until when. */
export function accountTokenFields(row: Omit<AccountTokenRow, 'used_at' | 'integrity_mac'>): readonly unknown[] {
  return [row.id, row.token_hash, row.user_id, row.purpose, row.email, row.session_id, row.created_at, row.expires_at];
}

/** What issuing and finding links needs from the keyring: keyed digests and row MACs. */
export type AccountTokenIntegrity = Pick<RowIntegrity, 'storedDigest' | 'rowMac' | 'rowValid'>;

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
 * row holds its keyed digest and a MAC: issue 13). Earlier unused tokens of the user for the same purposes stop working.
 */
export async function issueAccountToken(
  tx: Tx,
  deps: { clock: Clock; random: Random; integrity: AccountTokenIntegrity },
  input: { userId: string; purpose: AccountTokenPurpose; email: string | null; sessionId?: string | null; supersedes: readonly AccountTokenPurpose[] },
): Promise<{ token: string; expiresAt: Date }> {
  const now = deps.clock.now();
  if (input.supersedes.length > 0) {
    await tx.updateTable('account_tokens').set({ used_at: now }).where('user_id', '=', input.userId).where('purpose', 'in', [...input.supersedes]).where('used_at', 'is', null).execute();
  }
  const token = newSecretToken(deps.random);
  const expiresAt = new Date(now.getTime() + ACCOUNT_LINK_TTL_MS[input.purpose]);
  const row = { id: uuidv7(deps.clock, deps.random), user_id: input.userId, purpose: input.purpose, token_hash: deps.integrity.storedDigest('account-token', digestToken(token)), email: input.email, session_id: input.sessionId ?? null, created_at: now, expires_at: expiresAt };
  await tx
    .insertInto('account_tokens')
    .values({ ...row, used_at: null, integrity_mac: deps.integrity.rowMac(ACCOUNT_TOKEN_ROW, accountTokenFields(row)) })
    .execute();
  return { token, expiresAt };
}

/**
 * The live (unused, unexpired) token row for `token`, locked for this transaction. A row without a
 * valid MAC — inserted by SQL, or moved onto another account — is none (issue 13).
 */
export async function findLiveToken(tx: Tx, integrity: AccountTokenIntegrity, purpose: AccountTokenPurpose, token: string, now: Date): Promise<AccountTokenRow | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const row = await tx
    .selectFrom('account_tokens')
    .selectAll()
    .where('token_hash', '=', integrity.storedDigest('account-token', digestToken(token)))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .forUpdate()
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return integrity.rowValid(ACCOUNT_TOKEN_ROW, accountTokenFields(row), row.integrity_mac, { table: 'account_tokens', id: row.id }) ? row : undefined;
}

/** Marks a token used; false when a concurrent request used it first. */
export async function useToken(tx: Tx, id: string, now: Date): Promise<boolean> {
  const result = await tx.updateTable('account_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
