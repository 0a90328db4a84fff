import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import { recoveryCodeMac, recoveryCodeValid } from './mfa/factor-integrity.ts';
import { userEmailMac } from './identity-store.ts';
import type { RowIntegrity } from './row-integrity.ts';
import { SETUP_TOKEN_ROW, setupTokenFields } from './setup-service.ts';

/**
 * Issue 13, property 2, at start: seals the password hashes migration 0094 copied. The copy — not
 * the live row — is sealed, in the verified jobs context (the only one that sees copies), and
 * written onto the live row only while the row still holds exactly that hash; the copy is then
 * deleted. A hash changed after the migration, or written by hand, is never sealed. Returns how
 * many copies were used.
 */
export async function sealExistingPasswordHashes(transactor: AppTransactor, integrity: Pick<RowIntegrity, 'sealPasswordHash'>): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<{ user_id: string; password_hash: string }>`select user_id, password_hash from users_password_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withPlatform((tx) =>
      tx.updateTable('users').set({ password_hash: integrity.sealPasswordHash(copy.user_id, copy.password_hash) }).where('id', '=', copy.user_id).where('password_hash', '=', copy.password_hash).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from users_password_upgrade where user_id = ${copy.user_id}`.execute(tx));
  }
  return copies.length;
}

/**
 * Issue 13, property 2, at start: re-keys the session, setup-link and unused recovery-code digests
 * stored before migration 0095 (plain SHA-256, `digest_keyed` false). Only a row whose MAC
 * verifies — a row the application wrote — is re-keyed, and it is re-MAC'd over the keyed digest
 * in the same statement, which also requires the row to be unchanged. Returns how many rows.
 */
export async function keyExistingDigests(transactor: AppTransactor, integrity: RowIntegrity, now: Date): Promise<number> {
  let count = 0;
  const sessions = await transactor.withPlatform((tx) =>
    tx.selectFrom('sessions').select(['id', 'token_hash', 'user_id', 'auth_methods', 'created_at', 'authenticated_at', 'integrity_mac']).where('digest_keyed', '=', false).where('revoked_at', 'is', null).where('absolute_expires_at', '>', now).execute(),
  );
  for (const row of sessions) {
    if (!integrity.sessionValid(row)) continue;
    const keyed = { ...row, token_hash: integrity.storedDigest('session', row.token_hash) };
    const result = await transactor.withPlatform((tx) =>
      tx.updateTable('sessions').set({ token_hash: keyed.token_hash, integrity_mac: integrity.sessionMac(keyed), digest_keyed: true }).where('id', '=', row.id).where('token_hash', '=', Buffer.from(row.token_hash)).where('digest_keyed', '=', false).executeTakeFirst(),
    );
    count += Number(result.numUpdatedRows);
  }
  const links = await transactor.withPlatform((tx) => tx.selectFrom('setup_tokens').selectAll().where('digest_keyed', '=', false).where('used_at', 'is', null).where('expires_at', '>', now).execute());
  for (const row of links) {
    if (!integrity.rowValid(SETUP_TOKEN_ROW, setupTokenFields(row), row.integrity_mac, { table: 'setup_tokens', id: row.id })) continue;
    const keyed = { ...row, token_hash: integrity.storedDigest('setup-token', row.token_hash) };
    const result = await transactor.withPlatform((tx) =>
      tx.updateTable('setup_tokens').set({ token_hash: keyed.token_hash, integrity_mac: integrity.rowMac(SETUP_TOKEN_ROW, setupTokenFields(keyed)), digest_keyed: true }).where('id', '=', row.id).where('token_hash', '=', Buffer.from(row.token_hash)).where('digest_keyed', '=', false).executeTakeFirst(),
    );
    count += Number(result.numUpdatedRows);
  }
  const codes = await transactor.withPlatform((tx) => tx.selectFrom('mfa_recovery_codes').select(['user_id', 'code_hash', 'created_at', 'integrity_mac']).where('digest_keyed', '=', false).where('used_at', 'is', null).execute());
  for (const row of codes) {
    if (!recoveryCodeValid(integrity, row)) continue;
    const keyed = { ...row, code_hash: integrity.storedDigest('recovery-code', row.code_hash) };
    const result = await transactor.withPlatform((tx) =>
      tx.updateTable('mfa_recovery_codes').set({ code_hash: keyed.code_hash, integrity_mac: recoveryCodeMac(integrity, keyed), digest_keyed: true }).where('user_id', '=', row.user_id).where('code_hash', '=', Buffer.from(row.code_hash)).where('digest_keyed', '=', false).executeTakeFirst(),
    );
    count += Number(result.numUpdatedRows);
  }
  return count;
}

/**
 * Issue 13, property 1, at start: MACs the addresses migration 0122 copied. As for password hashes,
 * the copy — not the live row — is MAC'd, and the MAC is written only while the live row still holds
 * exactly that address; the copy is then deleted. An address changed by hand after the migration is
 * never MAC'd (that account is then found by no address: `parapet doctor` counts such rows). Returns
 * how many copies were used.
 */
export async function macExistingEmails(transactor: AppTransactor, integrity: Pick<RowIntegrity, 'rowMac'>): Promise<number> {
  const copies = await transactor.withJobs((tx) => tx.selectFrom('users_email_upgrade').select(['user_id', 'email', 'email_normalized']).execute());
  for (const copy of copies) {
    const mac = userEmailMac(integrity, { id: copy.user_id, email: copy.email, email_normalized: copy.email_normalized });
    await transactor.withPlatform((tx) =>
      tx.updateTable('users').set({ email_mac: mac }).where('id', '=', copy.user_id).where('email', '=', copy.email).where('email_normalized', '=', copy.email_normalized).execute(),
    );
    await transactor.withJobs((tx) => tx.deleteFrom('users_email_upgrade').where('user_id', '=', copy.user_id).execute());
  }
  return copies.length;
}
