import { sql } from 'kysely';
import type { Tx } from '../../database.ts';
import type { RowIntegrity } from './row-integrity.ts';

// What other modules read of the identity tables (users, sessions), named here so that identity
// stays the only SQL on them (issue 12: a module's SQL names only its own tables). Each runs in the
// caller's transaction. A user's operator flag is reported only under its MAC (issue 13).

/** What the bearer path and the token endpoint need to know about a session and its user. */
export interface LiveSession {
  readonly id: string;
  readonly user_id: string;
  readonly auth_methods: string[];
  readonly authenticated_at: Date;
  readonly last_seen_at: Date;
  readonly idle_timeout_seconds: number;
  readonly absolute_expires_at: Date;
  readonly revoked_at: Date | null;
  readonly email: string;
  readonly display_name: string;
  readonly is_platform_admin: boolean;
  readonly disabled_at: Date | null;
}

/**
 * A session with its user, in one statement (primary-key lookup on sessions, then on users).
 * `lock` takes the session row's lock (`FOR UPDATE OF s`), which serializes every change to one
 * refresh-token family.
 */
export async function findSessionWithUser(tx: Tx, integrity: RowIntegrity, sessionId: string, lock = false): Promise<LiveSession | undefined> {
  const query = tx
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id', 's.token_hash', 's.user_id', 's.auth_methods', 's.created_at', 's.authenticated_at', 's.last_seen_at', 's.idle_timeout_seconds', 's.absolute_expires_at', 's.revoked_at', 's.integrity_mac', 'u.email', 'u.display_name', 'u.is_platform_admin', 'u.platform_admin_mac', 'u.disabled_at'])
    .where('s.id', '=', sessionId);
  const row = await (lock ? query.forUpdate('s') : query).executeTakeFirst();
  // Issue 13: a session row the application did not write does not exist, and the operator flag
  // counts only with its MAC.
  if (row === undefined || !integrity.sessionValid(row)) return undefined;
  return {
    id: row.id,
    user_id: row.user_id,
    auth_methods: row.auth_methods,
    authenticated_at: row.authenticated_at,
    last_seen_at: row.last_seen_at,
    idle_timeout_seconds: row.idle_timeout_seconds,
    absolute_expires_at: row.absolute_expires_at,
    revoked_at: row.revoked_at,
    email: row.email,
    display_name: row.display_name,
    is_platform_admin: integrity.isPlatformAdmin({ id: row.user_id, is_platform_admin: row.is_platform_admin, platform_admin_mac: row.platform_admin_mac }),
    disabled_at: row.disabled_at,
  };
}

/** Whether a session (with its user) may still be used at `now`: not revoked, idle or past its end, user enabled. */
export function sessionIsLive(session: LiveSession, now: Date): boolean {
  if (session.revoked_at !== null || session.disabled_at !== null) return false;
  if (now >= session.absolute_expires_at) return false;
  return now.getTime() < session.last_seen_at.getTime() + session.idle_timeout_seconds * 1000;
}


/** Accounts by id, in id order: what other modules show of a user. */
export async function accountsOf(tx: Tx, userIds: readonly string[]): Promise<{ id: string; email: string; display_name: string; created_at: Date; disabled_at: Date | null }[]> {
  if (userIds.length === 0) return [];
  return tx.selectFrom('users').select(['id', 'email', 'display_name', 'created_at', 'disabled_at']).where('id', 'in', [...userIds]).orderBy('id').execute();
}

/**
 * The same accounts locked `FOR UPDATE` in id order: two transactions that lock overlapping sets
 * wait for each other instead of deadlocking (the account deletion's co-owner check).
 */
export async function lockAccounts(tx: Tx, userIds: readonly string[]): Promise<{ id: string; email: string; display_name: string; disabled_at: Date | null }[]> {
  if (userIds.length === 0) return [];
  return tx.selectFrom('users').select(['id', 'email', 'display_name', 'disabled_at']).where('id', 'in', [...userIds]).orderBy('id').forUpdate().execute();
}

/** When each user was last seen (newest session activity). */
export async function lastSeenOf(tx: Tx, userIds: readonly string[]): Promise<Map<string, Date | null>> {
  if (userIds.length === 0) return new Map();
  const rows = await tx.selectFrom('sessions').select(['user_id']).select((eb) => eb.fn.max('last_seen_at').as('last_seen')).where('user_id', 'in', [...userIds]).groupBy('user_id').execute();
  return new Map(rows.map((row) => [row.user_id, row.last_seen as Date | null]));
}

/** When each user last signed in (their newest session's authentication). */
export async function lastSignInsOf(tx: Tx, userIds: readonly string[]): Promise<Map<string, Date>> {
  if (userIds.length === 0) return new Map();
  const rows = await tx.selectFrom('sessions').select('user_id').select((eb) => eb.fn.max('authenticated_at').as('at')).where('user_id', 'in', [...userIds]).groupBy('user_id').execute();
  return new Map(rows.map((row) => [row.user_id, new Date(row.at as unknown as string | Date)]));
}

/** The DATA-2 `profile` section's row of a user. */
export async function profileOf(tx: Tx, userId: string) {
  return tx.selectFrom('users').select(['id', 'email', 'display_name', 'is_platform_admin', 'created_at', 'updated_at', 'disabled_at']).where('id', '=', userId).executeTakeFirstOrThrow();
}

/** The DATA-2 `sessions` section's rows of a user, oldest first. */
export async function sessionsOf(tx: Tx, userId: string) {
  return tx.selectFrom('sessions').select(['id', 'auth_methods', 'created_at', 'last_seen_at', 'absolute_expires_at', 'ip', 'user_agent', 'revoked_at', 'revoked_reason']).where('user_id', '=', userId).orderBy('created_at').execute();
}

/** Which of `userIds` have a confirmed authenticator-app factor (the AUTH-2 coverage check). */
export async function usersWithConfirmedTotp(tx: Tx, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  return new Set((await tx.selectFrom('totp_factors').select('user_id').where('user_id', 'in', [...userIds]).where('confirmed_at', 'is not', null).execute()).map((row) => row.user_id));
}

/** The ids of the users' live (not revoked) sessions. */
export async function liveSessionIdsOf(tx: Tx, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  return (await tx.selectFrom('sessions').select('id').where(sql<boolean>`user_id = any(${[...userIds]}::uuid[])`).where('revoked_at', 'is', null).execute()).map((row) => row.id);
}
