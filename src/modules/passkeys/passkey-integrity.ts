import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { RowIntegrity } from '../identity/index.ts';

/** The part of the identity module's row MACs the passkey store needs. */
export type PasskeyIntegrity = Pick<RowIntegrity, 'rowMac' | 'rowValid'>;

export const PASSKEY_ROW = 'passkey/1';

/** The fields of a passkey a sign-in trusts; none of them changes after the insert. */
interface PasskeyIdentity {
  readonly id: string;
  readonly user_id: string;
  readonly credential_id: string;
  readonly public_key: Uint8Array;
  readonly user_handle: Uint8Array;
  readonly backup_eligible: boolean;
  readonly created_at: Date;
}

/**
 * Issue 13, property 1: whose credential it is, which public key verifies it, the user handle a
 * passwordless sign-in compares, and whether it may sync (its amr), with its id, under the
 * keyring's `row-integrity` key. The counter, `backed_up`, name, transports and last use change
 * after the insert (or decide nothing) and are left out.
 */
const fields = (row: PasskeyIdentity): unknown[] => [row.id, row.user_id, row.credential_id, row.public_key, row.user_handle, row.backup_eligible, row.created_at];

export function passkeyMac(integrity: PasskeyIntegrity, row: PasskeyIdentity): Buffer {
  return integrity.rowMac(PASSKEY_ROW, fields(row));
}

/** True when the passkey carries its MAC; a false answer is logged (ids only) and the passkey is treated as absent. */
export function passkeyValid(integrity: PasskeyIntegrity, row: PasskeyIdentity & { readonly integrity_mac: Uint8Array | null }): boolean {
  return integrity.rowValid(PASSKEY_ROW, fields(row), row.integrity_mac, { table: 'passkeys', id: row.id });
}

/**
 * Issue 13: MACs the passkeys that predate row MACs, once, at start (migration 0083). The copy the
 * migration took as the owner is MAC'd — not the live row — so a passkey altered since signs
 * nobody in. Copies are read and deleted in the verified jobs context; live rows are updated only
 * while they have no MAC. Returns how many.
 */
export async function upgradePasskeyMacs(transactor: AppTransactor, integrity: PasskeyIntegrity): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<PasskeyIdentity>`select id, user_id, credential_id, public_key, user_handle, backup_eligible, created_at from passkeys_mac_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withPlatform((tx) => tx.updateTable('passkeys').set({ integrity_mac: passkeyMac(integrity, copy) }).where('id', '=', copy.id).where('integrity_mac', 'is', null).execute());
    await transactor.withJobs((tx) => sql`delete from passkeys_mac_upgrade where id = ${copy.id}`.execute(tx));
  }
  return copies.length;
}
