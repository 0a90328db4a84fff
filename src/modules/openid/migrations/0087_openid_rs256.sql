-- RS256 beside EdDSA (OIDC Core §15.1: an OP MUST support RS256 for ID tokens), issue 17.

-- The provider's RSA signing keys, one per rotation period of the tokens module's Ed25519 keys
-- (same periods, same publication: previous, current, next). RSA keys cannot be derived from a
-- seed the way Ed25519 keys are, so the first node that needs a period's key generates it and
-- inserts it here (insert … on conflict do nothing, then read back: every node signs with the same
-- key). The private key is stored only sealed: AES-256-GCM under a keyring-derived key
-- (`oidc-rsa-key-sealing`), associated data binding it to its kid, so a database reader holds no
-- usable key and destroying the keyring destroys them. Platform table: the keys are the issuer's,
-- not any organization's.
create table oidc_rsa_signing_keys (
  period_days integer not null check (period_days between 1 and 366),
  period integer not null,
  kid text not null unique check (kid ~ '^rs-[0-9]{8}-[0-9]+d$'),
  sealed_private_key text not null check (sealed_private_key like 'pk1.%'),
  created_at timestamptz not null,
  primary key (period_days, period)
);
grant select, insert, delete on oidc_rsa_signing_keys to parapet_app;

-- Per application: the JWS algorithm of its ID tokens (EdDSA by default; RS256 for clients that do
-- not support EdDSA). Nothing else is offered: no symmetric algorithm, never `none`.
alter table oidc_applications add column id_token_signed_response_alg text not null default 'EdDSA' check (id_token_signed_response_alg in ('EdDSA', 'RS256'));

-- Per resource server: the JWS algorithm of its JWT access tokens (RFC 9068), same choice.
alter table oidc_resource_servers add column access_token_signing_alg text not null default 'EdDSA' check (access_token_signing_alg in ('EdDSA', 'RS256'));
