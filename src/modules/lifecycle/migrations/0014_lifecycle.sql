-- Data lifecycle (DATA-1, DATA-2, DATA-3; docs/data-lifecycle.md): per-organization retention
-- overrides, organization and account deletion with a grace period, and account tombstones.

-- An organization's retention override for one data type (platform defaults live in config).
-- Bounds are checked by the service against the data type's registry entry, not here: modules
-- contribute types, so the list of types is open.
create table retention_settings (
  tenant_id uuid not null references organizations(id) on delete cascade,
  data_type text not null check (data_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  days integer not null check (days between 0 and 36600),
  updated_by uuid,
  updated_at timestamptz not null,
  primary key (tenant_id, data_type)
);

-- One row per deletion of the organization ever requested; at most one is pending. While one is
-- pending the organization is read-only; after `purge_after` the purge job destroys its keys and
-- removes its rows. Cancelled rows stay as history until the organization itself is purged.
create table organization_deletions (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  requested_by uuid,
  requested_at timestamptz not null,
  purge_after timestamptz not null,
  cancelled_at timestamptz,
  cancelled_by uuid,
  -- Set once the owners were sent the notice (an outbox: the request commits inside the risky-write
  -- approval's transaction, and the lifecycle job notifies after it committed).
  notified_at timestamptz,
  primary key (tenant_id, id),
  check (purge_after >= requested_at)
);
create unique index organization_deletions_pending_idx on organization_deletions (tenant_id) where cancelled_at is null;

alter table retention_settings enable row level security;
alter table retention_settings force row level security;
alter table organization_deletions enable row level security;
alter table organization_deletions force row level security;
create policy retention_settings_isolation on retention_settings using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy organization_deletions_isolation on organization_deletions using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on retention_settings to parapet_app;
grant select, insert, update on organization_deletions to parapet_app;

-- A user's pending account deletion (platform-level, like `users`). Sign-in is refused while it is
-- pending; the holder of the cancel token (sent to the owner, SHA-256 stored) or a platform
-- administrator can cancel it until `purge_after`.
create table user_deletions (
  user_id uuid primary key references users(id) on delete cascade,
  requested_by uuid,
  requested_at timestamptz not null,
  purge_after timestamptz not null,
  cancel_token_hash bytea not null unique check (length(cancel_token_hash) = 32),
  -- Whether the account was already disabled before the request (cancelling leaves it disabled).
  was_disabled boolean not null,
  check (purge_after >= requested_at)
);
create index user_deletions_due_idx on user_deletions (purge_after);

-- What is left of a deleted account: an HMAC of its normalized email (so a re-registration policy
-- can recognise the address without storing it) and dates. Removed by the `deleted_accounts`
-- retention type.
create table account_tombstones (
  user_id uuid primary key,
  email_hmac bytea not null check (length(email_hmac) = 32),
  account_created_at timestamptz not null,
  deletion_requested_at timestamptz not null,
  deleted_at timestamptz not null
);
create index account_tombstones_email_idx on account_tombstones (email_hmac);
create index account_tombstones_deleted_idx on account_tombstones (deleted_at);

grant select, insert, update, delete on user_deletions to parapet_app;
grant select, insert, delete on account_tombstones to parapet_app;
grant delete on users to parapet_app;

-- Retention purges rows that until now were only ever inserted and updated.
grant delete on security_alerts, access_requests, risky_write_approvals, api_keys to parapet_app;

-- Indexes for the purge predicates (each purge deletes at most a batch per statement).
create index sessions_ended_idx on sessions (absolute_expires_at);
create index setup_tokens_expiry_idx on setup_tokens (expires_at);
create index security_alerts_created_idx on security_alerts (tenant_id, created_at);
create index oauth_assertion_jtis_expiry_idx on oauth_assertion_jtis (tenant_id, expires_at);

-- The purge job works through every organization inside its own tenant context; this returns the
-- organization ids only (like parapet_audit_tenants), through a read-only policy for the owner.
create policy organizations_lifecycle_scan on organizations for select to parapet_owner using (true);
create function parapet_lifecycle_tenants() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select id from public.organizations $$;
revoke all on function parapet_lifecycle_tenants() from public;
grant execute on function parapet_lifecycle_tenants() to parapet_app;

-- Organizations whose deletion grace period has run out at `at` (ids only).
create policy organization_deletions_due_scan on organization_deletions for select to parapet_owner using (true);
create function parapet_due_organization_deletions(at timestamptz) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select tenant_id from public.organization_deletions where cancelled_at is null and purge_after <= at $$;
revoke all on function parapet_due_organization_deletions(timestamptz) from public;
grant execute on function parapet_due_organization_deletions(timestamptz) to parapet_app;

-- Organizations with a scheduled deletion whose owners were not notified yet (ids only).
create function parapet_unnotified_organization_deletions() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select tenant_id from public.organization_deletions where cancelled_at is null and notified_at is null $$;
revoke all on function parapet_unnotified_organization_deletions() from public;
grant execute on function parapet_unnotified_organization_deletions() to parapet_app;
