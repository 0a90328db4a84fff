import type { ColumnType } from 'kysely';
/** Tables of the openid module (migration 0038). */

/** The JWS algorithms Parapet signs ID tokens and JWT access tokens with (OIDC Core §15.1: RS256 too). */
export type SigningAlg = 'EdDSA' | 'RS256';

/** How an application authenticates at the token endpoint. */
export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'private_key_jwt';
export interface OidcApplicationsTable {
  tenant_id: string;
  id: string;
  project_id: string;
  environment_id: string;
  name: string;
  client_type: 'public' | 'confidential';
  first_party: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  scopes: string[];
  backchannel_logout_uri: string | null;
  /** RFC 9126 require_pushed_authorization_requests (migration 0056). */
  require_par: ColumnType<boolean, boolean | undefined, boolean>;
  /** The JWS algorithm of its ID tokens (migration 0087). */
  id_token_signed_response_alg: ColumnType<SigningAlg, SigningAlg | undefined, SigningAlg>;
  /** How it authenticates at the token endpoint (migration 0088). */
  token_endpoint_auth_method: ColumnType<TokenEndpointAuthMethod, TokenEndpointAuthMethod | undefined, TokenEndpointAuthMethod>;
  /** private_key_jwt: its public JWK Set, or where to fetch it (exactly one). */
  jwks: ColumnType<{ keys: Record<string, unknown>[] } | null, string | null | undefined, string | null>;
  jwks_uri: ColumnType<string | null, string | null | undefined, string | null>;
  /** Token lifetimes (migration 0088), within the platform's bounds. */
  access_token_ttl_seconds: ColumnType<number, number | undefined, number>;
  id_token_ttl_seconds: ColumnType<number, number | undefined, number>;
  refresh_token_ttl_seconds: ColumnType<number, number | undefined, number>;
  secret_hash: Buffer | null;
  created_by: string | null;
  created_at: Date;
  /**
   * Issue 13: HMAC of the client id under the keyring (`RowIntegrity.rowMac`, kind
   * `oidc-application-lookup/1`): what `parapet_oidc_application_tenant` is asked with (migration 0093).
   */
  lookup_mac: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
}

export interface OidcArtifactsTable {
  kind: string;
  id_digest: Buffer;
  payload: string;
  grant_id: string | null;
  uid_digest: Buffer | null;
  sealed_id: Buffer | null;
  expires_at: Date | null;
  consumed_at: Date | null;
  mac: Buffer;
}

export interface OidcGrantSessionsTable {
  grant_id: string;
  session_id: string;
  user_id: string;
  client_id: string;
  created_at: Date;
  /** The provider's sid for the grant's client (migration 0056), set when its code is issued. */
  sid: ColumnType<string | null, string | null | undefined, string | null>;
}

/** An environment's API: the `aud` of the JWT access tokens issued for it (migration 0060). */
export interface OidcResourceServersTable {
  tenant_id: string;
  id: string;
  project_id: string;
  environment_id: string;
  /** Set: the application's own API, for that application only. */
  application_id: string | null;
  name: string;
  identifier: string;
  scopes: string[];
  access_token_ttl_seconds: number;
  /** The JWS algorithm of its JWT access tokens (migration 0087). */
  access_token_signing_alg: ColumnType<SigningAlg, SigningAlg | undefined, SigningAlg>;
  created_by: string | null;
  created_at: Date;
}

/** An organization's look on the hosted pages (migration 0060). */
export interface OidcBrandingTable {
  tenant_id: string;
  display_name: string | null;
  logo_url: string | null;
  primary_color: string | null;
  background_color: string | null;
  updated_by: string | null;
  updated_at: Date;
}

/** An environment's self-service sign-up (migration 0061); no row = off. */
export interface OidcSignUpSettingsTable {
  tenant_id: string;
  environment_id: string;
  mode: 'off' | 'invite_only' | 'open';
  allowed_domains: string[];
  updated_by: string | null;
  updated_at: Date;
}

/** A sign-up waiting for its email verification (migration 0061). */
export interface OidcSignUpsTable {
  tenant_id: string;
  id: string;
  environment_id: string;
  client_id: string;
  email: string;
  email_normalized: string;
  password_hash: string;
  token_hash: Buffer;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

/** The provider's RS256 keys, one per rotation period, the private key sealed (migration 0087). */
export interface OidcRsaSigningKeysTable {
  period_days: number;
  period: number;
  kid: string;
  sealed_private_key: string;
  created_at: Date;
}

/** A back-channel logout notice still owed to an application (migration 0089). */
export interface OidcBackchannelOutboxTable {
  id: string;
  client_id: string;
  user_id: string;
  sid: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
}

export interface OpenIdTables {
  oidc_backchannel_outbox: OidcBackchannelOutboxTable;
  oidc_rsa_signing_keys: OidcRsaSigningKeysTable;
  oidc_sign_up_settings: OidcSignUpSettingsTable;
  oidc_sign_ups: OidcSignUpsTable;
  oidc_resource_servers: OidcResourceServersTable;
  oidc_branding: OidcBrandingTable;
  oidc_applications: OidcApplicationsTable;
  oidc_artifacts: OidcArtifactsTable;
  oidc_grant_sessions: OidcGrantSessionsTable;
}
