import { sql, type Selectable } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { RowIntegrity } from '../identity/index.ts';
import type { OAuthClientsTable } from './oauth-tables.ts';
import { accessReads } from '../access/index.ts';

export type OAuthClientRow = Selectable<OAuthClientsTable>;

/** A client with the service account it acts as, as the token endpoint and the bearer check need it. */
export interface ClientWithAccount {
  readonly client: OAuthClientRow;
  readonly serviceAccountName: string;
  readonly serviceAccountDisabled: boolean;
}

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).

/** The MAC of a client id (`oauth-client-lookup/1`) under a keyring key the database never holds. */
export type ClientLookup = (clientId: string) => Buffer;

export const CLIENT_LOOKUP_ROW = 'oauth-client-lookup/1';

/** The lookup MAC of a client id with the identity module's row MACs. */
export function clientLookupOf(integrity: Pick<RowIntegrity, 'rowMac'>): ClientLookup {
  return (clientId) => integrity.rowMac(CLIENT_LOOKUP_ROW, [clientId.toLowerCase()]);
}

/**
 * The tenant a client id belongs to, before any tenant context exists: through a SECURITY DEFINER
 * function that returns the tenant id only (migration 0009). Issue 13: the function is asked with
 * the MAC of the id, not the id (migration 0092), so SQL running as parapet_app — which cannot
 * compute the MAC — learns nothing about an id it holds.
 */
export async function clientTenant(tx: Tx, lookup: ClientLookup, clientId: string): Promise<string | undefined> {
  const result = await sql<{ tenant_id: string | null }>`select parapet_oauth_client_tenant(${lookup(clientId)}) as tenant_id`.execute(tx);
  return result.rows[0]?.tenant_id ?? undefined;
}

export const getServiceAccount = accessReads.serviceAccount;

/** Inserts a client; its `lookup_mac` is the caller's `ClientLookup` of its id. */
export async function insertClient(tx: Tx, row: OAuthClientRow): Promise<void> {
  await tx
    .insertInto('oauth_clients')
    .values({ ...row, jwks: row.jwks === null ? null : (sql`${JSON.stringify(row.jwks)}::jsonb` as never) })
    .execute();
}

/**
 * Issue 13: gives the clients that predate migration 0092 their lookup MAC, once, at start, from
 * the (tenant, id) pairs the migration copied as the owner: read and deleted in the verified jobs
 * context, each row updated in its organization's context. Returns how many.
 */
export async function upgradeClientLookups(transactor: AppTransactor, lookup: ClientLookup): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<{ tenant_id: string; id: string }>`select tenant_id, id from oauth_clients_lookup_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withTenant(copy.tenant_id, (tx) => tx.updateTable('oauth_clients').set({ lookup_mac: lookup(copy.id) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).execute());
    await transactor.withJobs((tx) => sql`delete from oauth_clients_lookup_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  return copies.length;
}

export async function listClients(tx: Tx, tenantId: string, serviceAccountId: string, after: string | undefined, limit: number): Promise<OAuthClientRow[]> {
  let query = tx.selectFrom('oauth_clients').selectAll().where('tenant_id', '=', tenantId).where('service_account_id', '=', serviceAccountId).orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

export async function getClient(tx: Tx, tenantId: string, serviceAccountId: string, id: string): Promise<OAuthClientRow | undefined> {
  return tx.selectFrom('oauth_clients').selectAll().where('tenant_id', '=', tenantId).where('service_account_id', '=', serviceAccountId).where('id', '=', id).executeTakeFirst();
}

export async function deleteClient(tx: Tx, tenantId: string, serviceAccountId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('oauth_clients').where('tenant_id', '=', tenantId).where('service_account_id', '=', serviceAccountId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** A client by id with its service account's name and state. */
export async function clientWithAccount(tx: Tx, tenantId: string, clientId: string): Promise<ClientWithAccount | undefined> {
  const client = await tx.selectFrom('oauth_clients').selectAll().where('tenant_id', '=', tenantId).where('id', '=', clientId).executeTakeFirst();
  if (client === undefined) return undefined;
  // The service account through its owner's read (access); a client whose account is gone is no client.
  const account = await accessReads.serviceAccount(tx, tenantId, client.service_account_id);
  if (account === undefined) return undefined;
  return { client, serviceAccountName: account.name, serviceAccountDisabled: account.disabled_at !== null };
}

/**
 * Records an assertion's jti; false when it was already used (RFC 7523 §3 item 7). Expired jtis of
 * the same client are purged first, so the table holds at most five minutes of assertions.
 */
export async function useAssertionJti(tx: Tx, tenantId: string, clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  await tx.deleteFrom('oauth_assertion_jtis').where('tenant_id', '=', tenantId).where('client_id', '=', clientId).where('expires_at', '<', now).execute();
  // ON CONFLICT waits for a concurrent insert of the same jti to commit, so of two nodes racing with
  // one assertion exactly one wins.
  const inserted = await tx
    .insertInto('oauth_assertion_jtis')
    .values({ tenant_id: tenantId, client_id: clientId, jti, expires_at: expiresAt })
    .onConflict((oc) => oc.doNothing())
    .returning('jti')
    .executeTakeFirst();
  return inserted !== undefined;
}
