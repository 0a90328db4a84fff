import type { ClientJwks } from './client-jwks.ts';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface OAuthClientsTable {
  tenant_id: string;
  id: string;
  service_account_id: string;
  name: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  secret_hash: Buffer | null;
  /** Only sets that passed checkClientJwks are stored. */
  jwks: ClientJwks | null;
  created_by: string | null;
  created_at: Date;
  /**
   * Issue 13: HMAC of the client id under the keyring (`RowIntegrity.rowMac`, kind
   * `oauth-client-lookup/1`): what `parapet_oauth_client_tenant` is asked with (migration 0092).
   */
  lookup_mac: Buffer | null;
}

export interface OAuthAssertionJtisTable {
  tenant_id: string;
  client_id: string;
  jti: string;
  expires_at: Date;
}

export interface OAuthTables {
  oauth_clients: OAuthClientsTable;
  oauth_assertion_jtis: OAuthAssertionJtisTable;
}
