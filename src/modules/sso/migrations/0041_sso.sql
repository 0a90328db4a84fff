-- Enterprise SSO (AUTH-4, issue 18; docs/sso.md): each organization's identity providers, the
-- email domains it has proved it owns, and the sign-ins in flight. Tenant tables under forced RLS;
-- the assertion replay cache is platform-level (digests only, no tenant data).

create table sso_connections (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  protocol text not null check (protocol in ('oidc', 'saml')),
  enabled boolean not null default true,
  -- The role a user provisioned just in time receives (a built-in role key or a custom role id).
  default_role text not null check (length(default_role) between 1 and 64),
  -- OIDC: the issuer (discovery), the client, its secret (field-encrypted, pk1.) and scopes.
  oidc_issuer text,
  oidc_client_id text,
  oidc_client_secret_sealed text check (oidc_client_secret_sealed is null or oidc_client_secret_sealed like 'pk1.%'),
  oidc_scopes text,
  -- SAML: the IdP's entity id, its SSO URL and one or two signing certificates (rollover).
  saml_idp_entity_id text,
  saml_idp_sso_url text,
  saml_idp_certs text[],
  -- Unsolicited (IdP-initiated) responses are refused unless turned on.
  saml_allow_idp_initiated boolean not null default false,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id),
  check (protocol <> 'oidc' or (oidc_issuer is not null and oidc_client_id is not null)),
  check (protocol <> 'saml' or (saml_idp_entity_id is not null and saml_idp_sso_url is not null and cardinality(saml_idp_certs) between 1 and 2))
);

create table sso_domains (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  domain text not null check (domain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$'),
  -- The connection sign-ins for this domain are routed to (null: none yet).
  connection_id uuid,
  verification_token text not null,
  verified_at timestamptz,
  created_at timestamptz not null,
  primary key (tenant_id, id),
  unique (tenant_id, domain),
  foreign key (tenant_id, connection_id) references sso_connections (tenant_id, id) on delete set null
);
-- A domain is proved by one organization at most: a second organization may claim it but never verify it.
create unique index sso_domains_verified_idx on sso_domains (domain) where verified_at is not null;

create table sso_login_states (
  tenant_id uuid not null references organizations(id) on delete cascade,
  connection_id uuid not null,
  -- SHA-256 of the state value the browser carries (never the value itself).
  state_hash bytea not null,
  nonce text,
  code_verifier text,
  -- SAML: the AuthnRequest ID the response must answer (InResponseTo).
  request_id text,
  return_to text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (tenant_id, state_hash),
  foreign key (tenant_id, connection_id) references sso_connections (tenant_id, id) on delete cascade
);
create index sso_login_states_expiry_idx on sso_login_states (expires_at);
create unique index sso_login_states_request_idx on sso_login_states (tenant_id, request_id) where request_id is not null;

alter table sso_connections enable row level security;
alter table sso_connections force row level security;
alter table sso_domains enable row level security;
alter table sso_domains force row level security;
alter table sso_login_states enable row level security;
alter table sso_login_states force row level security;
create policy sso_connections_isolation on sso_connections using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy sso_domains_isolation on sso_domains using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy sso_login_states_isolation on sso_login_states using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on sso_connections, sso_domains, sso_login_states to parapet_app;

-- SAML assertion IDs seen, as digests of (connection, ID), until the assertion expires: one use on
-- every node (the database is shared).
create table sso_assertion_ids (
  digest bytea primary key,
  expires_at timestamptz not null
);
create index sso_assertion_ids_expiry_idx on sso_assertion_ids (expires_at);
grant select, insert, delete on sso_assertion_ids to parapet_app;

-- Sign-in routing by email domain: which organization (and connection) a VERIFIED domain belongs
-- to, ids only. Runs as its owner, whom forced RLS restricts too: this policy lets it read domains.
create policy sso_domains_route_lookup on sso_domains for select to parapet_owner using (true);
create function parapet_sso_route(address_domain text) returns table (tenant_id uuid, connection_id uuid)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select d.tenant_id, d.connection_id from public.sso_domains d where d.domain = address_domain and d.verified_at is not null
$$;
revoke all on function parapet_sso_route(text) from public;
grant execute on function parapet_sso_route(text) to parapet_app;
