-- private_key_jwt client authentication and per-application token lifetimes (issue 17,
-- docs/openid-provider.md).

-- How a confidential application authenticates at the token endpoint: client_secret_basic (a
-- secret shown once, its SHA-256 stored) or private_key_jwt (OIDC Core §9: an assertion signed
-- with a key of its registered JWK Set — given inline, public keys only, or as a jwks_uri fetched
-- through the outbound address guard). Public applications: none.
alter table oidc_applications add column token_endpoint_auth_method text not null default 'client_secret_basic'
  check (token_endpoint_auth_method in ('none', 'client_secret_basic', 'private_key_jwt'));
update oidc_applications set token_endpoint_auth_method = 'none' where client_type = 'public';
alter table oidc_applications add column jwks jsonb check (jwks is null or (jsonb_typeof(jwks) = 'object' and octet_length(jwks::text) <= 65536));
alter table oidc_applications add column jwks_uri text check (jwks_uri is null or length(jwks_uri) between 1 and 2000);

-- The secret rule of migration 0038 (confidential ⇔ secret) becomes one per method.
alter table oidc_applications drop constraint oidc_applications_check;
alter table oidc_applications add constraint oidc_applications_client_auth_check check (
  case token_endpoint_auth_method
    when 'none' then client_type = 'public' and secret_hash is null and jwks is null and jwks_uri is null
    when 'client_secret_basic' then client_type = 'confidential' and secret_hash is not null and jwks is null and jwks_uri is null
    when 'private_key_jwt' then client_type = 'confidential' and secret_hash is null and ((jwks is null) <> (jwks_uri is null))
  end
);

-- Token lifetimes per application, within the platform's bounds (the defaults are the platform's).
alter table oidc_applications add column access_token_ttl_seconds integer not null default 900 check (access_token_ttl_seconds between 60 and 3600);
alter table oidc_applications add column id_token_ttl_seconds integer not null default 900 check (id_token_ttl_seconds between 60 and 3600);
alter table oidc_applications add column refresh_token_ttl_seconds integer not null default 604800 check (refresh_token_ttl_seconds between 300 and 604800);
