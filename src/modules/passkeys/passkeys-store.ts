import type { Insertable, Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import { findUserById, type UserRow } from '../identity/index.ts';
import type { PasskeysTable } from './passkeys-tables.ts';
import { passkeyMac, passkeyValid, type PasskeyIntegrity } from './passkey-integrity.ts';

export type PasskeyRow = Selectable<PasskeysTable>;

// Issue 13: a passkey whose MAC does not verify was not written by the application (or was
// altered since): the reads below treat it as absent, so it signs nobody in.

/** Inserts a passkey with its MAC. */
export async function insertPasskey(tx: Tx, integrity: PasskeyIntegrity, row: Omit<Insertable<PasskeysTable>, 'integrity_mac'> & { created_at: Date }): Promise<PasskeyRow> {
  return tx.insertInto('passkeys').values({ ...row, integrity_mac: passkeyMac(integrity, row) }).returningAll().executeTakeFirstOrThrow();
}

/** A user's passkeys, oldest first. */
export async function listUserPasskeys(tx: Tx, integrity: PasskeyIntegrity, userId: string): Promise<PasskeyRow[]> {
  const rows = await tx.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').limit(100).execute();
  return rows.filter((row) => passkeyValid(integrity, row));
}

export async function countUserPasskeys(tx: Tx, userId: string): Promise<number> {
  const row = await tx.selectFrom('passkeys').select((eb) => eb.fn.countAll<string | number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A credential by its WebAuthn id, with its owner (passwordless sign-in: the credential names the user). */
export async function findPasskeyByCredentialId(tx: Tx, integrity: PasskeyIntegrity, credentialId: string): Promise<{ passkey: PasskeyRow; user: UserRow } | undefined> {
  const passkey = await tx.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  if (passkey === undefined || !passkeyValid(integrity, passkey)) return undefined;
  const user = await findUserById(tx, passkey.user_id);
  return user === undefined ? undefined : { passkey, user };
}

/** One of `userId`'s credentials by WebAuthn id; another user's credential is not found. */
export async function findUserPasskeyByCredentialId(tx: Tx, integrity: PasskeyIntegrity, userId: string, credentialId: string): Promise<PasskeyRow | undefined> {
  const row = await tx.selectFrom('passkeys').selectAll().where('user_id', '=', userId).where('credential_id', '=', credentialId).executeTakeFirst();
  return row !== undefined && passkeyValid(integrity, row) ? row : undefined;
}

export async function renameUserPasskey(tx: Tx, userId: string, id: string, name: string): Promise<PasskeyRow | undefined> {
  return tx.updateTable('passkeys').set({ name }).where('user_id', '=', userId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteUserPasskey(tx: Tx, userId: string, id: string): Promise<PasskeyRow | undefined> {
  return tx.deleteFrom('passkeys').where('user_id', '=', userId).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * Records a use: the counter moves to `counter` only if that is an increase (or both are 0, for
 * authenticators that do not count). One conditional statement, so two assertions racing with the
 * same counter value cannot both pass, on any node. False when the counter did not increase.
 */
export async function advanceCounter(tx: Tx, id: string, counter: number, backedUp: boolean, now: Date): Promise<boolean> {
  const row = await tx
    .updateTable('passkeys')
    .set({ counter, backed_up: backedUp, last_used_at: now })
    .where('id', '=', id)
    .where((eb) => (counter === 0 ? eb('counter', '=', 0) : eb('counter', '<', counter)))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Which of `userIds` have a passkey (the AUTH-2 coverage check). */
export async function usersWithPasskeys(tx: Tx, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  return new Set((await tx.selectFrom('passkeys').select('user_id').where('user_id', 'in', [...userIds]).execute()).map((row) => row.user_id));
}
