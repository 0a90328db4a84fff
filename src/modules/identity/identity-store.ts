import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { SessionsTable, UsersTable } from './identity-tables.ts';
import type { RowIntegrity } from './row-integrity.ts';

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;

/** Lower-cased, NFKC-normalized, trimmed: the form emails are unique in. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/**
 * Issue 13: the row kind of a user's address MAC (`users.email_mac`, migration 0122). Sign-in,
 * password reset, SSO and SCIM find the account by its address, so an address changed by SQL would
 * route a reset mail or an IdP's assertion to a victim's account.
 */
export const USER_EMAIL_ROW = 'user-email/1';

/** The fields the address MAC covers: the id and both forms of the address (the one mail goes to, the one looked up). */
export function userEmailFields(user: { readonly id: string; readonly email: string; readonly email_normalized: string }): readonly unknown[] {
  return [user.id, user.email, user.email_normalized];
}

/** The address MAC a user row is written with. */
export function userEmailMac(integrity: Pick<RowIntegrity, 'rowMac'>, user: { readonly id: string; readonly email: string; readonly email_normalized: string }): Buffer {
  return integrity.rowMac(USER_EMAIL_ROW, userEmailFields(user));
}

/**
 * The account an address names, for a decision that trusts the address (sign-in, reset, SSO and
 * SCIM linking): a row whose address does not carry its MAC — changed by SQL — is no account
 * (logged as `row_integrity_failed`). Uniqueness checks use `emailTaken`.
 */
export async function findUserByEmail(tx: Tx, email: string, integrity: Pick<RowIntegrity, 'rowValid'>): Promise<UserRow | undefined> {
  const row = await tx.selectFrom('users').selectAll().where('email_normalized', '=', normalizeEmail(email)).executeTakeFirst();
  if (row === undefined) return undefined;
  return integrity.rowValid(USER_EMAIL_ROW, userEmailFields(row), row.email_mac, { table: 'users', id: row.id }) ? row : undefined;
}

/** Whether any row holds the address (valid MAC or not: the unique index counts them all). */
export async function emailTaken(tx: Tx, email: string): Promise<boolean> {
  return (await tx.selectFrom('users').select('id').where('email_normalized', '=', normalizeEmail(email)).executeTakeFirst()) !== undefined;
}

export async function findUserById(tx: Tx, id: string): Promise<UserRow | undefined> {
  return tx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertUser(
  tx: Tx,
  user: { id: string; email: string; displayName: string; passwordHash: string; isPlatformAdmin: boolean; now: Date },
  integrity: Pick<RowIntegrity, 'platformAdminMac' | 'sealPasswordHash' | 'rowMac'>,
): Promise<UserRow> {
  const address = { id: user.id, email: user.email.trim(), email_normalized: normalizeEmail(user.email) };
  return tx
    .insertInto('users')
    .values({
      ...address,
      email_mac: userEmailMac(integrity, address),
      display_name: user.displayName,
      // Issue 13, property 2: a password hash is stored sealed to the user (markers are stored as they are).
      password_hash: storedPasswordHash(user.id, user.passwordHash, integrity),
      is_platform_admin: user.isPlatformAdmin,
      // Issue 13: the flag counts only with its MAC, which only the application can compute.
      platform_admin_mac: user.isPlatformAdmin ? integrity.platformAdminMac(user.id) : null,
      created_at: user.now,
      updated_at: user.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Whether a value is an argon2 hash (as opposed to a marker such as `!scim-provisioned`, or a sealed hash). */
export function isPlainPasswordHash(value: string): boolean {
  return value.startsWith('$argon2');
}

/**
 * A password hash in the form it is stored in: sealed to the user (issue 13, property 2). Markers
 * that are not hashes pass through; a hash without the means to seal it is a programming error.
 */
export function storedPasswordHash(userId: string, passwordHash: string, integrity: Pick<RowIntegrity, 'sealPasswordHash'> | undefined): string {
  if (!isPlainPasswordHash(passwordHash)) return passwordHash;
  if (integrity === undefined) throw new Error('a password hash must be sealed before it is stored');
  return integrity.sealPasswordHash(userId, passwordHash);
}

/**
 * Sets a user's password hash (`passwordHash` sealed with `storedPasswordHash`); false when nothing changed. `verifiedEmail`: the link that allowed it
 * reached the account's address, so the address is verified too. `ifCurrent`: only over this hash of
 * an enabled account (of two concurrent changes, the second finds it gone).
 */
export async function updatePasswordHash(tx: Tx, userId: string, passwordHash: string, now: Date, options: { verifiedEmail?: boolean; ifCurrent?: string } = {}): Promise<boolean> {
  if (isPlainPasswordHash(passwordHash)) throw new Error('a password hash must be sealed before it is stored');
  let query = tx
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now, ...(options.verifiedEmail === true ? { email_verified_at: sql<Date>`coalesce(email_verified_at, ${now})` } : {}) })
    .where('id', '=', userId);
  if (options.ifCurrent !== undefined) query = query.where('password_hash', '=', options.ifCurrent).where('disabled_at', 'is', null);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Gives a user a new, verified address (the link sent to it was used), re-MAC'd in the same statement. */
export async function changeUserEmail(tx: Tx, userId: string, email: string, now: Date, integrity: Pick<RowIntegrity, 'rowMac'>): Promise<void> {
  const address = { id: userId, email, email_normalized: normalizeEmail(email) };
  await tx.updateTable('users').set({ email, email_normalized: address.email_normalized, email_mac: userEmailMac(integrity, address), email_verified_at: now, updated_at: now }).where('id', '=', userId).execute();
}

/** Renames a user; their id, address and new name. */
export async function renameUser(tx: Tx, userId: string, displayName: string, now: Date): Promise<{ id: string; email: string; display_name: string }> {
  return tx.updateTable('users').set({ display_name: displayName, updated_at: now }).where('id', '=', userId).returning(['id', 'email', 'display_name']).executeTakeFirstOrThrow();
}

/** DATA-3 erasure: removes at most `limit` of a user's sessions (one bounded statement); the number removed. */
export async function eraseUserSessions(tx: Tx, userId: string, limit: number): Promise<number> {
  return Number((await sql`delete from sessions where ctid = any(array(select ctid from sessions where user_id = ${userId} limit ${limit}))`.execute(tx)).numAffectedRows ?? 0n);
}

/** Removes a user's row (DATA-3 purge: their other data is removed first, by each owning module). */
export async function deleteUser(tx: Tx, userId: string): Promise<void> {
  await tx.deleteFrom('users').where('id', '=', userId).execute();
}

/** Whether an operator exists: a row whose flag carries its MAC (a hand-set flag does not count). */
export async function platformAdminExists(tx: Tx, integrity: Pick<RowIntegrity, 'isPlatformAdmin'>): Promise<boolean> {
  const rows = await tx.selectFrom('users').select(['id', 'is_platform_admin', 'platform_admin_mac']).where('is_platform_admin', '=', true).limit(100).execute();
  return rows.some((row) => integrity.isPlatformAdmin(row));
}

/** MACs the operators listed by migration 0030 (they predate row MACs), then empties the list. */
export async function upgradeExistingOperators(tx: Tx, integrity: Pick<RowIntegrity, 'platformAdminMac'>): Promise<number> {
  const listed = await tx.deleteFrom('identity_operator_upgrade').returning('user_id').execute();
  for (const { user_id } of listed) {
    await tx.updateTable('users').set({ platform_admin_mac: integrity.platformAdminMac(user_id) }).where('id', '=', user_id).where('is_platform_admin', '=', true).execute();
  }
  return listed.length;
}

export async function insertSession(tx: Tx, session: SessionRow): Promise<void> {
  await tx.insertInto('sessions').values(session).execute();
}

/** A live (not revoked) session by token digest, with its user. */
export async function findSessionByTokenHash(tx: Tx, tokenHash: Buffer): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const session = await tx.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).executeTakeFirst();
  if (session === undefined) return undefined;
  const user = await findUserById(tx, session.user_id);
  return user === undefined ? undefined : { session, user };
}

export async function touchSession(tx: Tx, sessionId: string, now: Date): Promise<void> {
  await tx.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', sessionId).execute();
}

/** Gives an API client's session its refresh family's lifetime (its idle and absolute end). */
export async function extendSession(tx: Tx, sessionId: string, absoluteExpiresAt: Date, idleSeconds: number): Promise<void> {
  await tx.updateTable('sessions').set({ absolute_expires_at: absoluteExpiresAt, idle_timeout_seconds: idleSeconds }).where('id', '=', sessionId).execute();
}

/** Ends a live session; returns its user, or undefined when it was already ended or is unknown. */
export async function revokeSession(tx: Tx, sessionId: string, reason: string, now: Date): Promise<string | undefined> {
  const row = await tx.updateTable('sessions').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', sessionId).where('revoked_at', 'is', null).returning('user_id').executeTakeFirst();
  return row?.user_id;
}

/** Ends every live session of a user (but `keep`); returns the ids it ended. */
export async function revokeUserSessions(tx: Tx, userId: string, reason: string, now: Date, keep?: string): Promise<string[]> {
  let query = tx.updateTable('sessions').set({ revoked_at: now, revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keep !== undefined) query = query.where('id', '!=', keep);
  const rows = await query.returning('id').execute();
  return rows.map((row) => row.id);
}

/** Marks a user disabled (or enabled again); false when there is no such user. */
export async function setUserDisabled(tx: Tx, userId: string, disabledAt: Date | null, now: Date): Promise<boolean> {
  const result = await tx.updateTable('users').set({ disabled_at: disabledAt, updated_at: now }).where('id', '=', userId).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Tightens live sessions of an organization's members to its new timeouts (never loosens them:
 * another organization's policy or the platform default may be stricter).
 */
/** The shortest idle limit of a session with a refresh-token family: a 15-minute access token and a minute. */
export const TOKEN_SESSION_MIN_IDLE_SECONDS = 960;

export async function tightenMemberSessions(tx: Tx, userIds: readonly string[], idleSeconds: number | null, absoluteHours: number | null, apiClientSessions: readonly string[]): Promise<number> {
  if (userIds.length === 0) return 0;
  // One array parameter each (not one parameter per id): an organization may have many members and sessions.
  const users = sql`${[...userIds]}::uuid[]`;
  const clients = sql`${[...apiClientSessions]}::uuid[]`;
  const result = await tx
    .updateTable('sessions')
    .set((eb) => ({
      // An API client's session (one with a refresh-token family, which the tokens module named)
      // counts idle time between refreshes, so its idle limit never drops below the access token's
      // life and a margin.
      idle_timeout_seconds:
        idleSeconds === null
          ? eb.ref('idle_timeout_seconds')
          : sql<number>`least(idle_timeout_seconds, greatest(${idleSeconds}::integer, case when id = any(${clients}) then ${TOKEN_SESSION_MIN_IDLE_SECONDS}::integer else 0 end))`,
      absolute_expires_at: absoluteHours === null ? eb.ref('absolute_expires_at') : sql<Date>`least(absolute_expires_at, created_at + make_interval(hours => ${absoluteHours}))`,
    }))
    .where(sql<boolean>`user_id = any(${users})`)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A user's sessions that have not been revoked and have not passed their absolute end, newest first. */
export async function listUserSessions(tx: Tx, userId: string, now: Date): Promise<SessionRow[]> {
  return tx
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('absolute_expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

export async function findUserSession(tx: Tx, userId: string, sessionId: string): Promise<SessionRow | undefined> {
  return tx.selectFrom('sessions').selectAll().where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
}
