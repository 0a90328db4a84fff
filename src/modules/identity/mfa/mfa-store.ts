import { sql, type Selectable } from 'kysely';
import type { AppTransactor, Tx } from '../../../database.ts';
import type { MfaPendingLoginsTable, TotpFactorsTable } from './mfa-tables.ts';
import { recoveryCodeMac, recoveryCodeValid, totpFactorMac, totpFactorValid, type FactorIntegrity } from './factor-integrity.ts';
import type { RowIntegrity } from '../row-integrity.ts';

export type TotpFactorRow = Selectable<TotpFactorsTable>;
export type PendingLoginRow = Selectable<MfaPendingLoginsTable>;

// Issue 13: a factor or recovery code whose MAC does not verify was not written by the
// application (or was altered since): the reads below treat it as absent, so it proves nothing.

export async function findConfirmedTotp(tx: Tx, integrity: FactorIntegrity, userId: string): Promise<TotpFactorRow | undefined> {
  const row = await tx.selectFrom('totp_factors').selectAll().where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst();
  return row !== undefined && totpFactorValid(integrity, row) ? row : undefined;
}

export async function findPendingTotp(tx: Tx, integrity: FactorIntegrity, userId: string): Promise<TotpFactorRow | undefined> {
  const row = await tx.selectFrom('totp_factors').selectAll().where('user_id', '=', userId).where('confirmed_at', 'is', null).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  return row !== undefined && totpFactorValid(integrity, row) ? row : undefined;
}

export async function insertTotpFactor(tx: Tx, integrity: FactorIntegrity, row: { id: string; userId: string; secretSealed: string; now: Date }): Promise<void> {
  // A new enrolment replaces any that was never confirmed.
  await tx.deleteFrom('totp_factors').where('user_id', '=', row.userId).where('confirmed_at', 'is', null).execute();
  const integrity_mac = totpFactorMac(integrity, { id: row.id, user_id: row.userId, created_at: row.now });
  await tx.insertInto('totp_factors').values({ id: row.id, user_id: row.userId, secret_sealed: row.secretSealed, last_used_step: null, confirmed_at: null, created_at: row.now, last_used_at: null, integrity_mac }).execute();
}

/**
 * Records that `step` was accepted for the factor, only if it is later than the last accepted
 * one. One statement: of two concurrent requests with the same code, the row lock makes the second
 * re-check the condition after the first commits, so exactly one succeeds. With `confirm`, a
 * pending factor becomes confirmed in the same statement.
 */
export async function consumeTotpStep(tx: Tx, factorId: string, step: bigint, now: Date, confirm: boolean): Promise<boolean> {
  let query = tx
    .updateTable('totp_factors')
    .set({ last_used_step: step.toString(), last_used_at: now, ...(confirm ? { confirmed_at: now } : {}) })
    .where('id', '=', factorId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step.toString())]));
  query = confirm ? query.where('confirmed_at', 'is', null) : query.where('confirmed_at', 'is not', null);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteTotpFactors(tx: Tx, userId: string): Promise<number> {
  const result = await tx.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function replaceRecoveryCodes(tx: Tx, integrity: FactorIntegrity, userId: string, hashes: readonly Buffer[], now: Date): Promise<void> {
  await tx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
  await tx
    .insertInto('mfa_recovery_codes')
    // Issue 13, property 2: stored keyed (HMAC under a keyring-derived key), MAC'd over the keyed digest.
    .values(hashes.map((hash) => integrity.storedDigest('recovery-code', hash)).map((code_hash) => ({ user_id: userId, code_hash, created_at: now, used_at: null, integrity_mac: recoveryCodeMac(integrity, { user_id: userId, code_hash, created_at: now }) })))
    .execute();
}

export async function deleteRecoveryCodes(tx: Tx, userId: string): Promise<void> {
  await tx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
}

export async function countUnusedRecoveryCodes(tx: Tx, integrity: FactorIntegrity, userId: string): Promise<number> {
  const rows = await tx.selectFrom('mfa_recovery_codes').select(['user_id', 'code_hash', 'created_at', 'integrity_mac']).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  return rows.filter((row) => recoveryCodeValid(integrity, row)).length;
}

/**
 * Marks an unused code used; false if it is unknown, already used (atomic: one use only) or
 * without a valid MAC (a forged code is spent and still refused).
 */
export async function consumeRecoveryCode(tx: Tx, integrity: FactorIntegrity, userId: string, hash: Buffer, now: Date): Promise<boolean> {
  const row = await tx
    .updateTable('mfa_recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', integrity.storedDigest('recovery-code', hash))
    .where('used_at', 'is', null)
    .returning(['user_id', 'code_hash', 'created_at', 'integrity_mac'])
    .executeTakeFirst();
  return row !== undefined && recoveryCodeValid(integrity, row);
}

/** Issue 13: the row kind of a pending sign-in's MAC (migration 0123). */
export const PENDING_LOGIN_ROW = 'mfa-pending-login/1';

/** The fields of a pending sign-in the second step trusts: whose password was accepted, and until when. */
export function pendingLoginFields(row: Pick<PendingLoginRow, 'id' | 'token_hash' | 'user_id' | 'created_at' | 'expires_at'>): readonly unknown[] {
  return [row.id, row.token_hash, row.user_id, row.created_at, row.expires_at];
}

/** Inserts a pending sign-in; `token_hash` is the keyed digest (`storedDigest('mfa-pending-login', …)`). */
export async function insertPendingLogin(tx: Tx, integrity: Pick<RowIntegrity, 'rowMac'>, row: Omit<PendingLoginRow, 'integrity_mac'>): Promise<void> {
  await tx.insertInto('mfa_pending_logins').values({ ...row, integrity_mac: integrity.rowMac(PENDING_LOGIN_ROW, pendingLoginFields(row)) }).execute();
}

/**
 * A pending sign-in that is neither consumed nor expired, found by the keyed digest of its token.
 * A row without a valid MAC — inserted by SQL, or moved onto another user — is none.
 */
export async function findLivePendingLogin(tx: Tx, integrity: Pick<RowIntegrity, 'rowValid'>, tokenHash: Buffer, now: Date): Promise<PendingLoginRow | undefined> {
  const row = await tx.selectFrom('mfa_pending_logins').selectAll().where('token_hash', '=', tokenHash).where('consumed_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  if (row === undefined) return undefined;
  return integrity.rowValid(PENDING_LOGIN_ROW, pendingLoginFields(row), row.integrity_mac, { table: 'mfa_pending_logins', id: row.id }) ? row : undefined;
}

/** Consumes a pending sign-in once: false if another request already did (or it expired). */
export async function consumePendingLogin(tx: Tx, id: string, now: Date): Promise<boolean> {
  const result = await tx.updateTable('mfa_pending_logins').set({ consumed_at: now }).where('id', '=', id).where('consumed_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Counts a wrong second factor against the pending sign-in; consumes it at `max`. Returns the count. */
export async function failPendingLogin(tx: Tx, id: string, max: number, now: Date): Promise<number> {
  const row = await tx
    .updateTable('mfa_pending_logins')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('id', '=', id)
    .returning('failed_attempts')
    .executeTakeFirst();
  const count = row?.failed_attempts ?? max;
  if (count >= max) await tx.updateTable('mfa_pending_logins').set({ consumed_at: now }).where('id', '=', id).where('consumed_at', 'is', null).execute();
  return count;
}

/** Deletes pending sign-ins that expired before `before`. */
export async function purgePendingLogins(tx: Tx, before: Date): Promise<number> {
  const result = await tx.deleteFrom('mfa_pending_logins').where('expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Issue 13: MACs the TOTP factors and unused recovery codes that predate row MACs, once, at start
 * (migration 0082). The copy the migration took as the owner is MAC'd — not the live row — so a
 * row altered since proves nothing. Copies are read and deleted in the verified jobs context; live
 * rows are updated only while they have no MAC. Returns how many copies were used.
 */
export async function upgradeFactorMacs(transactor: AppTransactor, integrity: FactorIntegrity): Promise<number> {
  const [factors, codes] = await transactor.withJobs(async (tx) => [
    (await sql<{ id: string; user_id: string; created_at: Date }>`select id, user_id, created_at from totp_factors_mac_upgrade`.execute(tx)).rows,
    (await sql<{ user_id: string; code_hash: Uint8Array; created_at: Date }>`select user_id, code_hash, created_at from mfa_recovery_codes_mac_upgrade`.execute(tx)).rows,
  ]);
  for (const copy of factors) {
    await transactor.withPlatform((tx) => tx.updateTable('totp_factors').set({ integrity_mac: totpFactorMac(integrity, copy) }).where('id', '=', copy.id).where('user_id', '=', copy.user_id).where('integrity_mac', 'is', null).execute());
    await transactor.withJobs((tx) => sql`delete from totp_factors_mac_upgrade where id = ${copy.id}`.execute(tx));
  }
  for (const copy of codes) {
    const hash = Buffer.from(copy.code_hash);
    await transactor.withPlatform((tx) =>
      tx.updateTable('mfa_recovery_codes').set({ integrity_mac: recoveryCodeMac(integrity, copy) }).where('user_id', '=', copy.user_id).where('code_hash', '=', hash).where('integrity_mac', 'is', null).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from mfa_recovery_codes_mac_upgrade where user_id = ${copy.user_id} and code_hash = ${hash}`.execute(tx));
  }
  return factors.length + codes.length;
}
