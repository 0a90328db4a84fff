import type { Insertable, Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { UserRow } from '../identity/index.ts';
import type { PasskeysTable } from './passkeys-tables.ts';

export type PasskeyRow = Selectable<PasskeysTable>;

export async function insertPasskey(tx: Tx, row: Insertable<PasskeysTable>): Promise<PasskeyRow> {
  return tx.insertInto('passkeys').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A user's passkeys, oldest first. */
export async function listUserPasskeys(tx: Tx, userId: string): Promise<PasskeyRow[]> {
  return tx.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').limit(100).execute();
}

export async function countUserPasskeys(tx: Tx, userId: string): Promise<number> {
  const row = await tx.selectFrom('passkeys').select((eb) => eb.fn.countAll<string | number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A credential by its WebAuthn id, with its owner (passwordless sign-in: the credential names the user). */
export async function findPasskeyByCredentialId(tx: Tx, credentialId: string): Promise<{ passkey: PasskeyRow; user: UserRow } | undefined> {
  const passkey = await tx.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  if (passkey === undefined) return undefined;
  const user = await tx.selectFrom('users').selectAll().where('id', '=', passkey.user_id).executeTakeFirst();
  return user === undefined ? undefined : { passkey, user };
}

/** One of `userId`'s credentials by WebAuthn id; another user's credential is not found. */
export async function findUserPasskeyByCredentialId(tx: Tx, userId: string, credentialId: string): Promise<PasskeyRow | undefined> {
  return tx.selectFrom('passkeys').selectAll().where('user_id', '=', userId).where('credential_id', '=', credentialId).executeTakeFirst();
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
