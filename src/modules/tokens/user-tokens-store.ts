import { sql, type Selectable } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { RefreshTokensTable } from './user-tokens-tables.ts';
import type { RowIntegrity } from '../identity/index.ts';

export type RefreshTokenRow = Selectable<RefreshTokensTable>;

export { findSessionWithUser, sessionIsLive, type LiveSession } from '../identity/index.ts';

type RowMacs = Pick<RowIntegrity, 'rowMac' | 'rowValid' | 'storedDigest'>;
type UnsealedRefreshToken = Omit<RefreshTokenRow, 'integrity_mac'>;

/**
 * Issue 13, property 1: every field of a refresh token the token endpoint relies on — its id and
 * digest, the session (and so the user) it belongs to, the organization its access tokens are
 * scoped to, its family's lifetime and its rotation state (so SQL cannot un-retire a token and
 * replay it without the reuse alarm) — under the keyring's `row-integrity` key.
 */
const refreshFields = (row: UnsealedRefreshToken): unknown[] => [row.id, row.token_hash, row.session_id, row.organization_id, row.created_at, row.family_expires_at, row.retired_at, row.successor_id];
const REFRESH_TOKEN_ROW = 'refresh-token/1';
const refreshMac = (integrity: RowMacs, row: UnsealedRefreshToken): Buffer => integrity.rowMac(REFRESH_TOKEN_ROW, refreshFields(row));
/** True when a refresh token carries its MAC (`parapet doctor` counts the ones that do not). */
export const refreshTokenValid = (integrity: RowMacs, row: RefreshTokenRow): boolean => integrity.rowValid(REFRESH_TOKEN_ROW, refreshFields(row), row.integrity_mac, { table: 'refresh_tokens', id: row.id });
/** The row when its MAC verifies; otherwise undefined (the failure is logged with the row id only). */
const sealedToken = (integrity: RowMacs, row: RefreshTokenRow | undefined): RefreshTokenRow | undefined =>
  row !== undefined && integrity.rowValid(REFRESH_TOKEN_ROW, refreshFields(row), row.integrity_mac, { table: 'refresh_tokens', id: row.id }) ? row : undefined;

/** Inserts a token; `row.token_hash` is the SHA-256 of the secret, stored keyed (issue 13, property 2) and MAC'd so. */
export async function insertRefreshToken(tx: Tx, integrity: RowMacs, row: Omit<UnsealedRefreshToken, 'digest_keyed'>): Promise<void> {
  const stored = { ...row, token_hash: integrity.storedDigest('refresh-token', row.token_hash), digest_keyed: true };
  await tx.insertInto('refresh_tokens').values({ ...stored, integrity_mac: refreshMac(integrity, stored) }).execute();
}

/** A refresh token by the SHA-256 of its secret (looked up keyed), locked (`FOR UPDATE`) when `lock`: concurrent exchanges of one token queue here. A row without a valid MAC does not exist. */
export async function findRefreshToken(tx: Tx, integrity: RowMacs, tokenHash: Buffer, lock = false): Promise<RefreshTokenRow | undefined> {
  const query = tx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', integrity.storedDigest('refresh-token', tokenHash));
  return sealedToken(integrity, await (lock ? query.forUpdate() : query).executeTakeFirst());
}

export async function findRefreshTokenById(tx: Tx, integrity: RowMacs, id: string): Promise<RefreshTokenRow | undefined> {
  return sealedToken(integrity, await tx.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst());
}

/** Retires a (verified, locked) token in favour of `successorId`, with the MAC over its new state; false when it was already retired (the caller holds its lock, so never). */
export async function retireRefreshToken(tx: Tx, integrity: RowMacs, row: RefreshTokenRow, successorId: string, now: Date): Promise<boolean> {
  const integrity_mac = refreshMac(integrity, { ...row, retired_at: now, successor_id: successorId });
  const result = await tx.updateTable('refresh_tokens').set({ retired_at: now, successor_id: successorId, integrity_mac }).where('id', '=', row.id).where('retired_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Tokens the family issued since `since` (the per-family refresh throttle; index on session_id, created_at). */
export async function countIssuedSince(tx: Tx, sessionId: string, since: Date): Promise<number> {
  const row = await tx.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<string>().as('n')).where('session_id', '=', sessionId).where('created_at', '>', since).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The organizations of the transaction's verified actor (ids only; `parapet_user_organizations`,
 * migrations 0018, 0055): `tx` must carry the user as its actor; the function refuses otherwise.
 */
export async function userOrganizations(tx: Tx): Promise<string[]> {
  const result = await sql<{ id: string }>`select parapet_user_organizations() as id`.execute(tx);
  return result.rows.map((row) => row.id);
}

/**
 * Issue 13, property 2, at start: re-keys the refresh-token digests stored before migration 0096
 * (plain SHA-256). Only a row whose MAC verifies is re-keyed and re-MAC'd, in one statement that
 * also requires it unchanged; a row written by hand stays unkeyed and matches no look-up.
 */
export async function keyExistingRefreshDigests(transactor: AppTransactor, integrity: RowMacs, now: Date): Promise<number> {
  const rows = await transactor.withPlatform((tx) => tx.selectFrom('refresh_tokens').selectAll().where('digest_keyed', '=', false).where('family_expires_at', '>', now).execute());
  let count = 0;
  for (const row of rows) {
    if (sealedToken(integrity, row) === undefined) continue;
    const keyed = { ...row, token_hash: integrity.storedDigest('refresh-token', row.token_hash) };
    const result = await transactor.withPlatform((tx) =>
      tx.updateTable('refresh_tokens').set({ token_hash: keyed.token_hash, integrity_mac: refreshMac(integrity, keyed), digest_keyed: true }).where('id', '=', row.id).where('token_hash', '=', Buffer.from(row.token_hash)).where('digest_keyed', '=', false).executeTakeFirst(),
    );
    count += Number(result.numUpdatedRows);
  }
  return count;
}

/** Which of these sessions hold a refresh-token family (an API client's session): identity's policy tightening keeps their idle limit above an access token's life. */
export async function sessionsWithRefreshFamily(tx: Tx, sessionIds: readonly string[]): Promise<string[]> {
  if (sessionIds.length === 0) return [];
  return (await tx.selectFrom('refresh_tokens').select('session_id').distinct().where(sql<boolean>`session_id = any(${[...sessionIds]}::uuid[])`).execute()).map((row) => row.session_id);
}
