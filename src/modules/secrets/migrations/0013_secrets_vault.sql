-- The secrets vault (ENC-4; docs/secrets.md): a tenant's connector credentials, per environment,
-- versioned. A value is encrypted twice before it reaches this table: by the secrets layer (a
-- keyring-derived key bound to tenant, environment and name: `ps1.…`), then by the tenant envelope
-- (`pk1.…`, bound to tenant, table, column and the version's row id). The database never sees
-- anything but the outer ciphertext.

create table secrets (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  project_id uuid not null,
  environment_id uuid not null,
  name text not null check (name ~ '^[A-Z_][A-Z0-9_]{0,127}$'),
  -- The newest version (versions count from 1; a secret exists only once it has one).
  current_version integer not null check (current_version >= 1),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  -- Soft deletion: the secret leaves every list and read; its versions stay until retention purges them.
  deleted_at timestamptz,
  deleted_by uuid,
  primary key (tenant_id, id),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade,
  foreign key (tenant_id, environment_id) references environments (tenant_id, id) on delete cascade
);
-- One live secret per name in an environment; a deleted name can be set again (a new secret).
create unique index secrets_live_name_idx on secrets (tenant_id, environment_id, name) where deleted_at is null;
create index secrets_environment_idx on secrets (tenant_id, environment_id, id);

create table secret_versions (
  tenant_id uuid not null,
  secret_id uuid not null,
  -- The row id bound into the envelope's associated data (and the secrets layer's).
  id uuid not null,
  version integer not null check (version >= 1),
  value_encrypted text not null check (value_encrypted like 'pk1.%'),
  created_at timestamptz not null,
  created_by_type text not null check (created_by_type in ('user', 'api_key', 'service_account', 'operator', 'system', 'anonymous')),
  created_by uuid,
  -- When a newer version replaced this one or the secret was deleted: retention counts from here.
  superseded_at timestamptz,
  primary key (tenant_id, secret_id, version),
  unique (tenant_id, id),
  foreign key (tenant_id, secret_id) references secrets (tenant_id, id) on delete cascade
);
create index secret_versions_superseded_idx on secret_versions (tenant_id, superseded_at) where superseded_at is not null;

alter table secrets enable row level security;
alter table secrets force row level security;
alter table secret_versions enable row level security;
alter table secret_versions force row level security;
create policy secrets_isolation on secrets using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy secret_versions_isolation on secret_versions using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

-- Versions are never edited by the application except by the key maintenance job (re-encryption
-- under a newer tenant key version) and retention (delete); secrets are soft-deleted.
grant select, insert, update, delete on secrets, secret_versions to parapet_app;

-- ENC-1: API-key request-signing secrets move from `v1.` (one keyring-derived key) to envelope
-- encryption (`pk1.`). Old values stay readable; the key maintenance job rewrites them online.
alter table api_keys drop constraint api_keys_signing_secret_sealed_check;
alter table api_keys add constraint api_keys_signing_secret_sealed_check check (signing_secret_sealed like 'v1.%' or signing_secret_sealed like 'pk1.%');

-- The maintenance job must also find organizations whose only encrypted values are old `v1.`
-- signing secrets (they have no tenant key yet). api_keys already has a read policy for parapet_owner.
create or replace function parapet_key_tenants() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select tenant_id from public.tenant_keys
  union
  select tenant_id from public.audit_destinations where secret_sealed is not null
  union
  select tenant_id from public.api_keys where signing_secret_sealed like 'v1.%'
$$;
revoke all on function parapet_key_tenants() from public;
grant execute on function parapet_key_tenants() to parapet_app;
