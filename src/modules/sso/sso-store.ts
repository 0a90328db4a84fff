import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { FieldContext } from '../keys/index.ts';
import type { SsoConnectionsTable, SsoDomainsTable, SsoLoginStatesTable } from './sso-tables.ts';

export type ConnectionRow = Selectable<SsoConnectionsTable>;
export type DomainRow = SsoDomainsTable;
export type LoginStateRow = SsoLoginStatesTable;

/** The envelope context of an OIDC client secret: bound to the organization and the connection row. */
export function clientSecretContext(tenantId: string, connectionId: string): FieldContext {
  return { tenantId, table: 'sso_connections', column: 'oidc_client_secret_sealed', rowId: connectionId };
}

/** The envelope context of a SAML connection's SP decryption key: bound to the organization and the connection row. */
export function spDecryptionKeyContext(tenantId: string, connectionId: string): FieldContext {
  return { tenantId, table: 'sso_connections', column: 'saml_sp_decryption_key_sealed', rowId: connectionId };
}

export async function insertConnection(tx: Tx, row: ConnectionRow): Promise<void> {
  await tx.insertInto('sso_connections').values(row).execute();
}

export async function findConnection(tx: Tx, tenantId: string, id: string): Promise<ConnectionRow | undefined> {
  return tx.selectFrom('sso_connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listConnections(tx: Tx, tenantId: string): Promise<ConnectionRow[]> {
  return tx.selectFrom('sso_connections').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(100).execute();
}

export async function updateConnection(tx: Tx, tenantId: string, id: string, changes: Partial<ConnectionRow>): Promise<boolean> {
  const result = await tx.updateTable('sso_connections').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Whether some claimed domain of the organization routes sign-ins to the connection. */
export async function connectionRoutedByDomains(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const row = await tx.selectFrom('sso_domains').select('id').where('tenant_id', '=', tenantId).where('connection_id', '=', id).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function deleteConnection(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('sso_connections').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function insertDomain(tx: Tx, row: DomainRow): Promise<void> {
  await tx.insertInto('sso_domains').values(row).execute();
}

export async function findDomain(tx: Tx, tenantId: string, id: string): Promise<DomainRow | undefined> {
  return tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function findDomainByName(tx: Tx, tenantId: string, domain: string): Promise<DomainRow | undefined> {
  return tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).where('domain', '=', domain).executeTakeFirst();
}

export async function listDomains(tx: Tx, tenantId: string): Promise<DomainRow[]> {
  return tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).orderBy('domain').limit(100).execute();
}

export async function deleteDomain(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('sso_domains').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The organization (and connection) a verified domain routes to, across organizations: ids only. */
export async function routeForDomain(tx: Tx, domain: string): Promise<{ tenant_id: string; connection_id: string | null } | undefined> {
  const { rows } = await sql<{ tenant_id: string; connection_id: string | null }>`select tenant_id, connection_id from parapet_sso_route(${domain})`.execute(tx);
  return rows[0];
}

export async function insertLoginState(tx: Tx, row: LoginStateRow): Promise<void> {
  await tx.insertInto('sso_login_states').values(row).execute();
}

/** Marks a live state used and returns it; undefined when unknown, used, expired or of another connection. */
export async function consumeLoginState(tx: Tx, tenantId: string, connectionId: string, stateHash: Buffer, now: Date): Promise<LoginStateRow | undefined> {
  return tx
    .updateTable('sso_login_states')
    .set({ used_at: now })
    .where('tenant_id', '=', tenantId)
    .where('state_hash', '=', stateHash)
    .where('connection_id', '=', connectionId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/** Reads a live state without consuming it (the SAML request id must be known before validation). */
export async function peekLoginState(tx: Tx, tenantId: string, connectionId: string, stateHash: Buffer, now: Date): Promise<LoginStateRow | undefined> {
  return tx
    .selectFrom('sso_login_states')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('state_hash', '=', stateHash)
    .where('connection_id', '=', connectionId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Records an assertion id; false when it was already seen (a replay, on any node). */
export async function rememberAssertion(tx: Tx, digest: Buffer, expiresAt: Date): Promise<boolean> {
  const inserted = await tx.insertInto('sso_assertion_ids').values({ digest, expires_at: expiresAt }).onConflict((oc) => oc.doNothing()).returning('digest').executeTakeFirst();
  return inserted !== undefined;
}

export async function purgeExpired(tx: Tx, now: Date): Promise<void> {
  await tx.deleteFrom('sso_assertion_ids').where('expires_at', '<', now).execute();
}
