import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { FieldContext } from '../keys/index.ts';
import type { ApiKeysTable } from './api-keys-tables.ts';

export type ApiKeyRow = Selectable<ApiKeysTable>;

// Every statement runs inside withTenant, except keyTenant (platform context, SECURITY DEFINER);
// queries still name tenant_id (see tenants-store.ts).

/** Where a key's signing secret is envelope-encrypted: bound to its tenant, table, column and row. */
export function signingSecretContext(tenantId: string, keyId: string): FieldContext {
  return { tenantId, table: 'api_keys', column: 'signing_secret_sealed', rowId: keyId };
}

/** The organization a key id belongs to (migration 0008's SECURITY DEFINER function): one index lookup. */
export async function keyTenant(tx: Tx, keyId: string): Promise<string | undefined> {
  const result = await sql<{ tenant: string | null }>`select parapet_api_key_tenant(${keyId}::uuid) as tenant`.execute(tx);
  return result.rows[0]?.tenant ?? undefined;
}

export async function getKey(tx: Tx, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
  return tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function getKeyForUpdate(tx: Tx, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
  return tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function listKeys(tx: Tx, tenantId: string, after: string | undefined, limit: number): Promise<ApiKeyRow[]> {
  let query = tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

export async function insertKey(tx: Tx, row: ApiKeyRow): Promise<void> {
  await tx.insertInto('api_keys').values(row).execute();
}

export async function markRotated(tx: Tx, tenantId: string, id: string, successorId: string, retiresAt: Date): Promise<void> {
  await tx.updateTable('api_keys').set({ rotated_to: successorId, retires_at: retiresAt }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function markRevoked(tx: Tx, tenantId: string, id: string, by: string, now: Date): Promise<void> {
  await tx.updateTable('api_keys').set({ revoked_at: now, revoked_by: by }).where('tenant_id', '=', tenantId).where('id', '=', id).where('revoked_at', 'is', null).execute();
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
export async function environmentProject(tx: Tx, tenantId: string, environmentId: string): Promise<{ projectId: string; kind: string } | undefined> {
  const row = await tx.selectFrom('environments').select(['project_id', 'kind']).where('tenant_id', '=', tenantId).where('id', '=', environmentId).executeTakeFirst();
  return row === undefined ? undefined : { projectId: row.project_id, kind: row.kind };
}

export async function projectExists(tx: Tx, tenantId: string, projectId: string): Promise<boolean> {
  const row = await tx.selectFrom('projects').select('id').where('tenant_id', '=', tenantId).where('id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}

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
