-- AUD-2 incremental verification (issue 20; docs/trust-center.md "Controls and live checks"): for
-- each organization, how far the trust center's check last proved its audit log — the size, the
-- signed checkpoint note of that size, its root and the tree's compact range (frontier) there — so
-- the next run verifies only the events after it (and, through the frontier, that the log still
-- extends the checkpoint proved before). `full_verified_at` is when the whole log was last rehashed:
-- a periodic full pass still finds an edit of an event older than the stored position.
-- A tenant table: each organization's row is read and written in its own tenant context only.
create table trust_log_positions (
  tenant_id uuid primary key references organizations(id) on delete cascade,
  size bigint not null check (size >= 0),
  root text not null,
  -- The frontier's hashes, base64, space-separated (at most 64 of them).
  frontier text not null,
  note text not null check (length(note) <= 4000),
  verified_at timestamptz not null,
  full_verified_at timestamptz not null
);
alter table trust_log_positions enable row level security;
alter table trust_log_positions force row level security;
create policy trust_log_positions_isolation on trust_log_positions using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

grant select, insert, update, delete on trust_log_positions to parapet_app;
