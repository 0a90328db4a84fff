import { sql, type Selectable } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { FieldContext } from '../keys/index.ts';
import type { ApiKeysTable } from './api-keys-tables.ts';
import { keyMac, keyValid, type KeyIntegrity, type UnsealedKeyRow } from './key-integrity.ts';
import { tenancy } from '../tenants/index.ts';

export type ApiKeyRow = Selectable<ApiKeysTable>;

// Every statement runs inside withTenant, except keyTenant (platform context, SECURITY DEFINER);
// queries still name tenant_id (see tenants-store.ts).

/** Where a key's signing secret is envelope-encrypted: bound to its tenant, table, column and row. */
export function signingSecretContext(tenantId: string, keyId: string): FieldContext {
  return { tenantId, table: 'api_keys', column: 'signing_secret_sealed', rowId: keyId };
}

/**
 * The organization of the key with this id and this digest (SECURITY DEFINER, migration 0064): one
 * index lookup, and no answer without the presented key's digest.
 */
export async function keyTenant(tx: Tx, keyId: string, presentedHash: Buffer): Promise<string | undefined> {
  const result = await sql<{ tenant: string | null }>`select parapet_api_key_tenant(${keyId}::uuid, ${presentedHash}) as tenant`.execute(tx);
  return result.rows[0]?.tenant ?? undefined;
}

// Issue 13: a row whose MAC does not verify was not written by the application (or was altered
// since): every read below treats it as absent.
const sealed = (integrity: KeyIntegrity, row: ApiKeyRow | undefined): ApiKeyRow | undefined => (row !== undefined && keyValid(integrity, row) ? row : undefined);

export async function getKey(tx: Tx, integrity: KeyIntegrity, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
  return sealed(integrity, await tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst());
}

export async function getKeyForUpdate(tx: Tx, integrity: KeyIntegrity, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
  return sealed(integrity, await tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst());
}

/** Up to `limit + 1` keys after `after`, in id order; rows without a valid MAC are skipped (they do not end the page early). */
export async function listKeys(tx: Tx, integrity: KeyIntegrity, tenantId: string, after: string | undefined, limit: number): Promise<ApiKeyRow[]> {
  const kept: ApiKeyRow[] = [];
  let cursor = after;
  for (;;) {
    let query = tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '>', cursor);
    const rows = await query.execute();
    kept.push(...rows.filter((row) => keyValid(integrity, row)));
    if (rows.length <= limit || kept.length > limit) return kept.slice(0, limit + 1);
    cursor = rows.at(-1)?.id;
  }
}

/** Inserts a key with its MAC; returns the row as stored. */
export async function insertKey(tx: Tx, integrity: KeyIntegrity, row: UnsealedKeyRow | ApiKeyRow): Promise<ApiKeyRow> {
  const stored = { ...row, integrity_mac: keyMac(integrity, row) };
  await tx.insertInto('api_keys').values(stored).execute();
  return stored;
}

/** Marks a (verified, locked) key rotated, with the MAC over its new state. */
export async function markRotated(tx: Tx, integrity: KeyIntegrity, row: ApiKeyRow, successorId: string, retiresAt: Date): Promise<void> {
  const next = { ...row, rotated_to: successorId, retires_at: retiresAt };
  await tx
    .updateTable('api_keys')
    .set({ rotated_to: successorId, retires_at: retiresAt, integrity_mac: keyMac(integrity, next) })
    .where('tenant_id', '=', row.tenant_id)
    .where('id', '=', row.id)
    .execute();
}

/** Marks a (verified, locked) key revoked, with the MAC over its new state. */
export async function markRevoked(tx: Tx, integrity: KeyIntegrity, row: ApiKeyRow, by: string, now: Date): Promise<void> {
  const next = { ...row, revoked_at: now, revoked_by: by };
  await tx
    .updateTable('api_keys')
    .set({ revoked_at: now, revoked_by: by, integrity_mac: keyMac(integrity, next) })
    .where('tenant_id', '=', row.tenant_id)
    .where('id', '=', row.id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Records a key's latest use, never moving it backwards (several nodes flush independently). */
export async function touchKey(tx: Tx, tenantId: string, id: string, at: Date, ip: string): Promise<void> {
  await tx
    .updateTable('api_keys')
    .set({ last_used_at: at, last_used_ip: ip })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
    .execute();
}

/** The project of an environment of this organization; undefined if there is none. */
export const environmentProject = tenancy.environmentOf;

export const projectExists = tenancy.projectExists;

/**
 * AUTH-8 replay cache: records a signature as used. True the first time; false when it was
 * already there (the primary key decides, atomically, between concurrent duplicates on any node).
 */
export async function claimSignature(tx: Tx, tenantId: string, keyId: string, signatureHash: Buffer, expiresAt: Date): Promise<boolean> {
  const inserted = await tx
    .insertInto('api_key_signatures')
    .values({ tenant_id: tenantId, signature_hash: signatureHash, key_id: keyId, expires_at: expiresAt })
    .onConflict((oc) => oc.doNothing())
    .returning('key_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Drops an organization's replay records whose signatures can no longer be accepted anyway. */
export async function purgeSignatures(tx: Tx, tenantId: string, now: Date): Promise<void> {
  await tx.deleteFrom('api_key_signatures').where('tenant_id', '=', tenantId).where('expires_at', '<', now).execute();
}

/**
 * Issue 13: MACs the keys that predate row MACs, once, at start (migration 0062). The copy the
 * migration took as the owner is MAC'd — not the live row — so a key altered since fails its MAC.
 * Copies are read and deleted in the verified jobs context; each live row is updated in its own
 * organization's context, and only while it has no MAC. Returns how many were MAC'd.
 */
export async function upgradeKeyMacs(transactor: AppTransactor, integrity: KeyIntegrity): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<UnsealedKeyRow>`select * from api_keys_mac_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withTenant(copy.tenant_id, (tx) =>
      tx.updateTable('api_keys').set({ integrity_mac: keyMac(integrity, copy) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).where('integrity_mac', 'is', null).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from api_keys_mac_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  return copies.length;
}

/** API keys a user made in the organization that are neither revoked nor past their end. */
export async function liveKeysMadeByUser(tx: Tx, tenantId: string, userId: string, now: Date) {
  return tx
    .selectFrom('api_keys')
    .select(['id', 'name', 'mode', 'permissions', 'project_id', 'environment_id', 'expires_at', 'retires_at', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('created_by_type', '=', 'user')
    .where('created_by', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
    .orderBy('id')
    .execute();
}

/** When each active API key of the organization was made (AUTH-7's rotation check). */
export async function activeKeyCreationTimes(tx: Tx, tenantId: string, now: Date): Promise<Date[]> {
  return (await tx.selectFrom('api_keys').select('created_at').where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).where('expires_at', '>', now).execute()).map((row) => row.created_at);
}
