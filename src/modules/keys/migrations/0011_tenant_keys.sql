-- Envelope encryption (ENC-1, ENC-2; docs/encryption.md). Each organization has versioned tenant
-- keys, stored only wrapped by the key provider's root key. Encrypted columns name the version
-- that encrypted them (`pk1.<version>.…`), so a version retires once no row references it.
-- Deleting an organization deletes its keys (crypto-shredding).

create table tenant_keys (
  tenant_id uuid not null references organizations(id) on delete cascade,
  version integer not null check (version >= 1),
  state text not null check (state in ('active', 'retired', 'destroyed')),
  -- The provider's root key version that wraps this key (local: `local/<n>`, KMS: the key ARN).
  root_version text not null check (length(root_version) between 1 and 2048),
  -- Provider output; null once destroyed, so nothing can unwrap it again.
  wrapped bytea,
  wrapped_at timestamptz not null,
  -- Messages this version may have encrypted (reserved in blocks): the random-nonce limit.
  encryptions bigint not null default 0 check (encryptions >= 0),
  created_at timestamptz not null,
  retired_at timestamptz,
  destroyed_at timestamptz,
  primary key (tenant_id, version),
  check ((state = 'destroyed') = (wrapped is null))
);

alter table tenant_keys enable row level security;
alter table tenant_keys force row level security;
create policy tenant_keys_isolation on tenant_keys using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update on tenant_keys to parapet_app;

-- The key maintenance job (rewrap, re-encrypt, retire) finds the tenants that hold keys or values
-- sealed in the pre-envelope `v1.` format (tenant ids only), like the audit sequencer.
create policy tenant_keys_maintenance_scan on tenant_keys for select to parapet_owner using (true);
create policy audit_destinations_key_scan on audit_destinations for select to parapet_owner using (true);
create function parapet_key_tenants() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select tenant_id from public.tenant_keys
  union
  select tenant_id from public.audit_destinations where secret_sealed is not null
$$;
revoke all on function parapet_key_tenants() from public;
grant execute on function parapet_key_tenants() to parapet_app;

-- Webhook secrets move from `v1.` (one keyring-derived key) to envelope-encrypted `pk1.` values.
-- Old values stay readable; the key maintenance job rewrites them online (no key is available to
-- SQL, so this migration cannot).
alter table audit_destinations drop constraint audit_destinations_secret_sealed_check;
alter table audit_destinations add constraint audit_destinations_secret_sealed_check check (secret_sealed like 'v1.%' or secret_sealed like 'pk1.%');
