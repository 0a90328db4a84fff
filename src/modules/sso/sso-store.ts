import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { FieldContext } from '../keys/index.ts';
import type { SsoConnectionsTable, SsoDomainsTable, SsoLoginStatesTable } from './sso-tables.ts';
import { connectionMac, connectionValid, domainMac, domainVerified, type SsoIntegrity } from './sso-integrity.ts';

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

// Issue 13: connections and domain verifications carry MACs (sso-integrity.ts). Every read below
// treats a connection without a valid MAC as absent and a verification without one as not made.

/** Inserts a connection with its MAC; returns the row as stored. */
export async function insertConnection(tx: Tx, integrity: SsoIntegrity, row: Omit<ConnectionRow, 'integrity_mac'>): Promise<ConnectionRow> {
  const sealed = { ...row, integrity_mac: connectionMac(integrity, row) };
  await tx.insertInto('sso_connections').values(sealed).execute();
  return sealed;
}

export async function findConnection(tx: Tx, integrity: SsoIntegrity, tenantId: string, id: string, lock = false): Promise<ConnectionRow | undefined> {
  const query = tx.selectFrom('sso_connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  const row = await (lock ? query.forUpdate() : query).executeTakeFirst();
  return row !== undefined && connectionValid(integrity, row) ? row : undefined;
}

export async function listConnections(tx: Tx, integrity: SsoIntegrity, tenantId: string): Promise<ConnectionRow[]> {
  const rows = await tx.selectFrom('sso_connections').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(100).execute();
  return rows.filter((row) => connectionValid(integrity, row));
}

/** Applies `changes` to `current` (read and checked in the same transaction) and re-MACs the row in the same statement; returns it. */
export async function updateConnection(tx: Tx, integrity: SsoIntegrity, current: ConnectionRow, changes: Partial<Omit<ConnectionRow, 'integrity_mac' | 'tenant_id' | 'id'>>): Promise<ConnectionRow> {
  const next = { ...current, ...changes };
  const set = { ...changes, integrity_mac: connectionMac(integrity, next) };
  await tx.updateTable('sso_connections').set(set).where('tenant_id', '=', current.tenant_id).where('id', '=', current.id).execute();
  return { ...next, integrity_mac: set.integrity_mac };
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

/** A domain as the application sees it: a verification without a valid MAC counts as none. */
function checked(integrity: SsoIntegrity, row: DomainRow): DomainRow {
  return row.verified_at === null || domainVerified(integrity, row) ? row : { ...row, verified_at: null };
}

export async function findDomain(tx: Tx, integrity: SsoIntegrity, tenantId: string, id: string): Promise<DomainRow | undefined> {
  const row = await tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : checked(integrity, row);
}

export async function findDomainByName(tx: Tx, tenantId: string, domain: string): Promise<DomainRow | undefined> {
  return tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).where('domain', '=', domain).executeTakeFirst();
}

export async function listDomains(tx: Tx, integrity: SsoIntegrity, tenantId: string): Promise<DomainRow[]> {
  const rows = await tx.selectFrom('sso_domains').selectAll().where('tenant_id', '=', tenantId).orderBy('domain').limit(100).execute();
  return rows.map((row) => checked(integrity, row));
}

/** Marks a domain verified at `now`, with the verification's MAC, in one statement. */
export async function markDomainVerified(tx: Tx, integrity: SsoIntegrity, row: Pick<DomainRow, 'tenant_id' | 'id' | 'domain'>, now: Date, method: 'dns_txt' | 'https_well_known'): Promise<void> {
  await tx
    .updateTable('sso_domains')
    .set({ verified_at: now, verified_by: method, integrity_mac: domainMac(integrity, { tenant_id: row.tenant_id, id: row.id, domain: row.domain, verified_at: now }) })
    .where('tenant_id', '=', row.tenant_id)
    .where('id', '=', row.id)
    .execute();
}

export async function deleteDomain(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('sso_domains').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * The organization (and connection) a verified domain routes to, across organizations: ids only,
 * and only when the verification carries its MAC (migration 0091: the function returns the
 * verification's fields and MAC, never the token).
 */
export async function routeForDomain(tx: Tx, integrity: SsoIntegrity, domain: string): Promise<{ tenant_id: string; connection_id: string | null } | undefined> {
  const { rows } = await sql<{ tenant_id: string; connection_id: string | null; id: string; domain: string; verified_at: Date | null; integrity_mac: Buffer | null }>`select tenant_id, connection_id, id, domain, verified_at, integrity_mac from parapet_sso_route(${domain})`.execute(tx);
  const row = rows.find((r) => domainVerified(integrity, r));
  return row === undefined ? undefined : { tenant_id: row.tenant_id, connection_id: row.connection_id };
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
