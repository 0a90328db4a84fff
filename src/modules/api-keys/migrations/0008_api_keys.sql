-- API keys (AUTH-7) and signed requests (AUTH-8); docs/api-keys.md.
-- A key is `prk_<live|test>_<id>_<secret><checksum>`; only SHA-256 of the whole key is stored.
-- Its permissions are copied at creation (never more than its creator held at its scope).

create table api_keys (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  mode text not null check (mode in ('live', 'test')),
  -- SHA-256 of the full key string as presented (prefix, id, secret and checksum).
  secret_hash bytea not null check (length(secret_hash) = 32),
  -- The built-in role the permissions were copied from, if the key was created from one.
  role text check (role in ('tenant_admin', 'security_admin', 'security_analyst', 'viewer', 'auditor', 'service_account')),
  permissions text[] not null check (cardinality(permissions) between 1 and 200),
  -- Binding: neither = the organization; a project; or an environment (which names its project too).
  project_id uuid,
  environment_id uuid,
  -- AUTH-8: the HMAC signing secret of a key that must sign its requests, sealed (AES-256-GCM
  -- bound to tenant, table, column and row). Null: the key does not sign.
  signing_secret_sealed text check (signing_secret_sealed like 'v1.%'),
  created_by_type text not null check (created_by_type in ('user', 'api_key', 'service_account')),
  created_by uuid not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  -- Rotation: the successor, the predecessor, and when this key stops working (end of the overlap).
  rotated_to uuid,
  rotated_from uuid,
  retires_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid,
  -- Written at most once a minute per key, from an in-memory buffer.
  last_used_at timestamptz,
  last_used_ip text check (length(last_used_ip) <= 64),
  primary key (tenant_id, id),
  check (environment_id is null or project_id is not null),
  check (expires_at > created_at),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade,
  foreign key (tenant_id, environment_id) references environments (tenant_id, id) on delete cascade
);
-- Keys are presented before their organization is known: the id is globally unique and indexed.
create unique index api_keys_id_idx on api_keys (id);

-- AUTH-8 replay protection: each accepted signature once, across every node. The primary key makes
-- a duplicate insert fail (or do nothing) atomically; rows expire with the signature's time window.
create table api_key_signatures (
  tenant_id uuid not null references organizations(id) on delete cascade,
  signature_hash bytea not null check (length(signature_hash) = 32),
  key_id uuid not null,
  expires_at timestamptz not null,
  primary key (tenant_id, signature_hash)
);
create index api_key_signatures_expiry_idx on api_key_signatures (tenant_id, expires_at);

alter table api_keys enable row level security;
alter table api_keys force row level security;
alter table api_key_signatures enable row level security;
alter table api_key_signatures force row level security;

create policy api_keys_isolation on api_keys using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy api_key_signatures_isolation on api_key_signatures using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

grant select, insert, update on api_keys to parapet_app;
grant select, insert, delete on api_key_signatures to parapet_app;

-- The organization a key id belongs to, for the authenticator, which must open the right tenant
-- context before it can read the key. Runs as parapet_owner; the policy below (that role only,
-- read only) lets it see every key's tenant. It reveals a tenant id only; the key itself (its
-- hash, permissions, state) is then read and verified inside that tenant's own context.
create policy api_keys_tenant_lookup on api_keys for select to parapet_owner using (true);

create function parapet_api_key_tenant(key_id uuid) returns uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select k.tenant_id from public.api_keys k where k.id = key_id
$$;
revoke all on function parapet_api_key_tenant(uuid) from public;
grant execute on function parapet_api_key_tenant(uuid) to parapet_app;
