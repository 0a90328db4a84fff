import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { FieldContext } from '../keys/index.ts';
import type { SecretsTable, SecretVersionsTable } from './secrets-tables.ts';
import { tenancy } from '../tenants/index.ts';

export type SecretRow = Selectable<SecretsTable>;
export type SecretVersionRow = Selectable<SecretVersionsTable>;
/** A version as listed: everything but the encrypted value. */
export type SecretVersionMeta = Omit<SecretVersionRow, 'value_encrypted'>;

// Every statement runs inside the tenant's own withTenant transaction; queries still name
// tenant_id so they stay correct on a sharded deployment.

/** Where a version's value is envelope-encrypted: bound to its tenant, table, column and row. */
export function valueFieldContext(tenantId: string, versionId: string): FieldContext {
  return { tenantId, table: 'secret_versions', column: 'value_encrypted', rowId: versionId };
}

/** The project of an environment of this organization (checked against `projectId` when given). */
export const environmentProject = tenancy.environmentProject;

export async function liveSecret(tx: Tx, tenantId: string, environmentId: string, name: string, lock = false): Promise<SecretRow | undefined> {
  let query = tx.selectFrom('secrets').selectAll().where('tenant_id', '=', tenantId).where('environment_id', '=', environmentId).where('name', '=', name).where('deleted_at', 'is', null);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The live secrets of an environment, one page, in one statement. */
export async function listSecrets(tx: Tx, tenantId: string, environmentId: string, after: string | undefined, limit: number): Promise<SecretRow[]> {
  let query = tx.selectFrom('secrets').selectAll().where('tenant_id', '=', tenantId).where('environment_id', '=', environmentId).where('deleted_at', 'is', null).orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

/** Creates a secret; false when a live secret of that name appeared meanwhile. */
export async function insertSecret(tx: Tx, row: SecretRow): Promise<boolean> {
  const inserted = await tx
    .insertInto('secrets')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'environment_id', 'name']).where('deleted_at', 'is', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function insertVersion(tx: Tx, row: SecretVersionRow): Promise<void> {
  await tx.insertInto('secret_versions').values(row).execute();
}

/** Makes `version` current and marks the one it replaces as superseded (retention counts from then). */
export async function advance(tx: Tx, tenantId: string, secretId: string, version: number, now: Date): Promise<void> {
  await tx.updateTable('secrets').set({ current_version: version, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', secretId).execute();
  await tx.updateTable('secret_versions').set({ superseded_at: now }).where('tenant_id', '=', tenantId).where('secret_id', '=', secretId).where('version', '<', version).where('superseded_at', 'is', null).execute();
}

/** The versions of a secret (never their values), one page in version order, in one statement. */
export async function listVersions(tx: Tx, tenantId: string, secretId: string, after: string | undefined, limit: number): Promise<SecretVersionMeta[]> {
  let query = tx
    .selectFrom('secret_versions')
    .select(['tenant_id', 'secret_id', 'id', 'version', 'created_at', 'created_by_type', 'created_by', 'superseded_at'])
    .where('tenant_id', '=', tenantId)
    .where('secret_id', '=', secretId)
    .orderBy('id')
    .limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

export async function getVersion(tx: Tx, tenantId: string, secretId: string, version: number): Promise<SecretVersionRow | undefined> {
  return tx.selectFrom('secret_versions').selectAll().where('tenant_id', '=', tenantId).where('secret_id', '=', secretId).where('version', '=', version).executeTakeFirst();
}

/** Soft-deletes a secret: out of every list and read; all its versions now count towards retention. */
export async function softDelete(tx: Tx, tenantId: string, secretId: string, by: string | null, now: Date): Promise<void> {
  await tx.updateTable('secrets').set({ deleted_at: now, deleted_by: by, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', secretId).execute();
  await tx.updateTable('secret_versions').set({ superseded_at: now }).where('tenant_id', '=', tenantId).where('secret_id', '=', secretId).where('superseded_at', 'is', null).execute();
}

/**
 * Retention for secret versions (DATA-1): deletes every version of the organization that stopped
 * being current (replaced by a newer one, or its secret deleted) before `cutoff`, then the deleted
 * secrets left with no version. A live secret's current version is never touched. One statement;
 * call it inside `withTenant(tenantId, …)`.
 */
export async function purgeSecretVersionsOlderThan(tx: Tx, tenantId: string, cutoff: Date): Promise<{ versions: number; secrets: number }> {
  const result = await sql<{ versions: number; secrets: number }>`
    with purged as (
      delete from secret_versions
      where tenant_id = ${tenantId} and superseded_at is not null and superseded_at < ${cutoff}
      returning id
    ), emptied as (
      -- A deleted secret's versions all stopped being current by its deletion, so they went above.
      delete from secrets
      where tenant_id = ${tenantId} and deleted_at is not null and deleted_at < ${cutoff}
      returning id
    )
    select (select count(*)::int from purged) as versions, (select count(*)::int from emptied) as secrets
  `.execute(tx);
  const row = result.rows[0];
  return { versions: row?.versions ?? 0, secrets: row?.secrets ?? 0 };
}
