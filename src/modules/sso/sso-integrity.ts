import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { RowIntegrity } from '../identity/index.ts';
import type { Selectable } from 'kysely';
import type { SsoConnectionsTable, SsoDomainsTable } from './sso-tables.ts';

/** The part of the identity module's row MACs the SSO store needs. */
export type SsoIntegrity = Pick<RowIntegrity, 'rowMac' | 'rowValid'>;

export const SSO_CONNECTION_ROW = 'sso-connection/1';
export const SSO_DOMAIN_ROW = 'sso-domain/1';

type ConnectionIdentity = Pick<
  Selectable<SsoConnectionsTable>,
  | 'tenant_id' | 'id' | 'protocol' | 'enabled' | 'default_role' | 'oidc_issuer' | 'oidc_client_id' | 'saml_idp_entity_id' | 'saml_idp_sso_url' | 'saml_idp_certs' | 'saml_allow_idp_initiated'
  | 'saml_metadata_url' | 'saml_sp_encryption_cert' | 'saml_sp_decryption_key_sealed' | 'saml_sign_requests' | 'created_at'
>;
type NewSamlColumns = 'saml_metadata_url' | 'saml_sp_encryption_cert' | 'saml_sp_decryption_key_sealed' | 'saml_sign_requests';
type DomainIdentity = Pick<SsoDomainsTable, 'tenant_id' | 'id' | 'domain' | 'verified_at'>;

/**
 * Issue 13, property 1: the account links of SSO. An organization's IdP vouches for the accounts
 * of its verified domains, so two kinds of row decide who an SSO sign-in is: the connection (which
 * issuer, client or signing certificates are believed, whether it is on, which role a just-in-time
 * member gets) and the verified domain (which addresses that organization's IdPs may assert). Both
 * are MAC'd under the keyring's `row-integrity` key; a connection without a valid MAC is absent,
 * and a domain whose verification carries no valid MAC is unverified. The name, the sealed client
 * secret (it opens only in its own row), the scopes, `updated_at` and a domain's routing
 * (`connection_id`: a connection of the same organization, itself MAC'd) and token decide nothing.
 */
const connectionFields = (row: ConnectionIdentity): unknown[] => [
  row.tenant_id,
  row.id,
  row.protocol,
  row.enabled,
  row.default_role,
  row.oidc_issuer,
  row.oidc_client_id,
  row.saml_idp_entity_id,
  row.saml_idp_sso_url,
  row.saml_idp_certs,
  row.saml_allow_idp_initiated,
  // Where the IdP's metadata is refreshed from (a URL switched by SQL would hand the next refresh,
  // and so a valid MAC, to the attacker's certificates), the SP key pair's certificate and whether
  // a decryption key is set (nulling it would accept plain assertions again), and request signing.
  row.saml_metadata_url,
  row.saml_sp_encryption_cert,
  row.saml_sp_decryption_key_sealed !== null,
  row.saml_sign_requests,
  row.created_at,
];

const domainFields = (row: DomainIdentity): unknown[] => [row.tenant_id, row.id, row.domain, row.verified_at];

export function connectionMac(integrity: SsoIntegrity, row: ConnectionIdentity): Buffer {
  return integrity.rowMac(SSO_CONNECTION_ROW, connectionFields(row));
}

/** True when the connection carries its MAC; a false answer is logged (ids only) and the connection is absent. */
export function connectionValid(integrity: SsoIntegrity, row: ConnectionIdentity & { readonly integrity_mac: Uint8Array | null }): boolean {
  return integrity.rowValid(SSO_CONNECTION_ROW, connectionFields(row), row.integrity_mac, { table: 'sso_connections', id: row.id, tenantId: row.tenant_id });
}

/** The MAC of a domain's verification (only verified domains carry one). */
export function domainMac(integrity: SsoIntegrity, row: DomainIdentity): Buffer {
  return integrity.rowMac(SSO_DOMAIN_ROW, domainFields(row));
}

/** True when the domain is verified and its verification carries its MAC; a verified domain without one is logged and counts as unverified. */
export function domainVerified(integrity: SsoIntegrity, row: DomainIdentity & { readonly integrity_mac: Uint8Array | null }): boolean {
  return row.verified_at !== null && integrity.rowValid(SSO_DOMAIN_ROW, domainFields(row), row.integrity_mac, { table: 'sso_domains', id: row.id, tenantId: row.tenant_id });
}

/**
 * Issue 13: MACs the connections and verified domains that predate row MACs, once, at start
 * (migration 0091), from the copies the migration took as the owner — not the live rows — so a row
 * altered since stays refused. Copies are read and deleted in the verified jobs context; each live
 * row is updated in its organization's context only while it has no MAC. Returns how many.
 */
export async function upgradeSsoMacs(transactor: AppTransactor, integrity: SsoIntegrity): Promise<number> {
  // The copies predate the SAML columns of 0106 (metadata URL, SP key pair, request signing): a
  // connection that existed then has their defaults.
  const connections = await transactor.withJobs(async (tx) =>
    (await sql<Omit<ConnectionIdentity, NewSamlColumns> & Partial<Pick<ConnectionIdentity, NewSamlColumns>>>`select * from sso_connections_mac_upgrade`.execute(tx)).rows.map(
      (copy): ConnectionIdentity => ({ ...copy, saml_metadata_url: copy.saml_metadata_url ?? null, saml_sp_encryption_cert: copy.saml_sp_encryption_cert ?? null, saml_sp_decryption_key_sealed: copy.saml_sp_decryption_key_sealed ?? null, saml_sign_requests: copy.saml_sign_requests ?? false }),
    ),
  );
  for (const copy of connections) {
    await transactor.withTenant(copy.tenant_id, (tx) =>
      tx.updateTable('sso_connections').set({ integrity_mac: connectionMac(integrity, copy) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).where('integrity_mac', 'is', null).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from sso_connections_mac_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  const domains = await transactor.withJobs(async (tx) => (await sql<DomainIdentity>`select tenant_id, id, domain, verified_at from sso_domains_mac_upgrade`.execute(tx)).rows);
  for (const copy of domains) {
    await transactor.withTenant(copy.tenant_id, (tx) =>
      tx.updateTable('sso_domains').set({ integrity_mac: domainMac(integrity, copy) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).where('integrity_mac', 'is', null).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from sso_domains_mac_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  return connections.length + domains.length;
}
