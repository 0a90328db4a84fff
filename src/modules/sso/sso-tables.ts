import type { ColumnType } from 'kysely';
/** The SSO module's tables (migrations 0041, 0042, 0106; docs/sso.md). */
export interface SsoConnectionsTable {
  tenant_id: string;
  id: string;
  name: string;
  protocol: 'oidc' | 'saml';
  enabled: boolean;
  default_role: string;
  oidc_issuer: string | null;
  oidc_client_id: string | null;
  oidc_client_secret_sealed: string | null;
  oidc_scopes: string | null;
  saml_idp_entity_id: string | null;
  saml_idp_sso_url: string | null;
  saml_idp_certs: string[] | null;
  saml_allow_idp_initiated: boolean;
  /** Where the IdP metadata was fetched from (0106); null when uploaded or given field by field. */
  saml_metadata_url: string | null;
  /** This SP's private key for encrypted assertions, field-encrypted (`pk1.`, 0109). */
  saml_sp_decryption_key_sealed: string | null;
  /** Its certificate (PEM body), published in the SP metadata as the encryption key (0109). */
  saml_sp_encryption_cert: string | null;
  /** Sign AuthnRequests with the SP key (0109). */
  saml_sign_requests: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Date;
  updated_at: Date;
  /** Issue 13: HMAC under the keyring's `row-integrity` key (sso-integrity.ts, `sso-connection/1`). */
  integrity_mac: Buffer | null;
}

export interface SsoDomainsTable {
  tenant_id: string;
  id: string;
  domain: string;
  connection_id: string | null;
  verification_token: string;
  verified_at: Date | null;
  /** How the domain was proved (0106): `dns_txt` or `https_well_known`. */
  verified_by: string | null;
  created_at: Date;
  /** Issue 13: the MAC of the verification (sso-integrity.ts, `sso-domain/1`); null while unverified. */
  integrity_mac: Buffer | null;
}

export interface SsoLoginStatesTable {
  tenant_id: string;
  connection_id: string;
  state_hash: Buffer;
  nonce: string | null;
  code_verifier: string | null;
  request_id: string | null;
  return_to: string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  /** A sign-in started by the setup portal's "test connection" step (0132): no session, the outcome goes to the link. */
  setup_link_id?: string | null | undefined;
}

export interface SsoAssertionIdsTable {
  digest: Buffer;
  expires_at: Date;
}

export interface SsoPoliciesTable {
  tenant_id: string;
  require_sso: boolean;
  break_glass_user_ids: string[];
  updated_by: string | null;
  updated_at: Date;
}

/** A connection's rule: IdP group -> role, organization-wide or at one project (0131). */
export interface SsoGroupRoleRulesTable {
  tenant_id: string;
  connection_id: string;
  id: string;
  group_name: string;
  role: string;
  project_id: string | null;
  created_at: Date;
}

/** The role binding a rule made for a user (0131): ended when the IdP stops asserting the group. */
export interface SsoGroupBindingsTable {
  tenant_id: string;
  connection_id: string;
  user_id: string;
  rule_id: string;
  binding_id: string;
  created_at: Date;
}

/** A self-serve setup link (0132): the secret only as a keyed MAC; bound to one browser at first opening. */
export interface SsoSetupLinksTable {
  tenant_id: string;
  id: string;
  secret_mac: Buffer;
  created_by: string | null;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  opened_at: Date | null;
  session_digest: Buffer | null;
  last_test_at: Date | null;
  last_test_outcome: string | null;
}

export interface SsoTables {
  sso_setup_links: SsoSetupLinksTable;
  sso_group_role_rules: SsoGroupRoleRulesTable;
  sso_group_bindings: SsoGroupBindingsTable;
  sso_policies: SsoPoliciesTable;
  sso_connections: SsoConnectionsTable;
  sso_domains: SsoDomainsTable;
  sso_login_states: SsoLoginStatesTable;
  sso_assertion_ids: SsoAssertionIdsTable;
}
