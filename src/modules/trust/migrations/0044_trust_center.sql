-- The trust center (TR-1…TR-5, VDP-1; docs/trust-center.md).

-- Each run of a live control check (TR-4): what was checked, when, and the result. Deployment-wide:
-- a check inspects the platform, never one tenant's rows. `statement` is public; `detail` is shown
-- to platform administrators only (it may name tables or hosts).
create table trust_check_results (
  id uuid primary key,
  check_id text not null check (check_id ~ '^[a-z0-9][a-z0-9.-]{0,63}$'),
  claims text[] not null,
  status text not null check (status in ('pass', 'fail', 'not_applicable')),
  statement text not null check (length(statement) between 1 and 500),
  detail text not null check (length(detail) <= 2000),
  started_at timestamptz not null,
  finished_at timestamptz not null
);
create index trust_check_results_latest_idx on trust_check_results (check_id, finished_at desc);

-- Published content managed by platform administrators: certifications (TR-1), documents (TR-2),
-- subprocessors (TR-3), questions and answers (TR-5). `data` is validated by the API per kind.
create table trust_entries (
  id uuid primary key,
  kind text not null check (kind in ('certification', 'document', 'subprocessor', 'faq')),
  position integer not null default 0,
  data jsonb not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index trust_entries_kind_idx on trust_entries (kind, position, created_at);

-- The TEN-1 live canary: a probe tenant writes a row here, another probe tenant must not see it.
-- Tenant-scoped with forced RLS exactly like every tenant table, so the canary exercises the same
-- policy machinery. Probe tenants are not organizations (no foreign key); rows are deleted after
-- each probe.
create table trust_canary (
  tenant_id uuid not null,
  id uuid not null,
  written_at timestamptz not null,
  primary key (tenant_id, id)
);
alter table trust_canary enable row level security;
alter table trust_canary force row level security;
create policy trust_canary_isolation on trust_canary using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

grant select, insert, delete on trust_check_results to parapet_app;
grant select, insert, update, delete on trust_entries, trust_canary to parapet_app;

-- A failing trust check alerts the operating organization (module alerts).
alter table security_alerts drop constraint security_alerts_kind_check;
alter table security_alerts add constraint security_alerts_kind_check check (kind in ('break_glass', 'refresh_token_reused', 'trust_check_failed'));
