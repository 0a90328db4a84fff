-- Issue 21: built-in probes of Parapet's own parts and operator-defined HTTP checks feeding the
-- status page's components and their 90-day history (IR-4; docs/status-page.md).

-- Who set a component's status last: an operator's status other than operational stands until an
-- operator sets it back; probes move only components that are operational or that probes set.
alter table status_components add column set_by text not null default 'operator' check (set_by in ('operator', 'probe'));

create table status_checks (
  id uuid primary key,
  component_id uuid not null references status_components (id) on delete cascade,
  kind text not null check (kind in ('api', 'database', 'redis', 'mail', 'key_provider', 'http')),
  name text not null check (length(name) between 1 and 100),
  -- http only: the https URL fetched through the audit streams' address guard.
  url text check (length(url) between 1 and 2000),
  interval_seconds integer not null check (interval_seconds between 30 and 3600),
  failures_before_outage integer not null check (failures_before_outage between 1 and 10),
  enabled boolean not null default true,
  next_check_at timestamptz not null,
  last_checked_at timestamptz,
  last_ok boolean,
  last_error text check (length(last_error) <= 200),
  last_latency_ms integer,
  consecutive_failures integer not null default 0,
  created_at timestamptz not null,
  check ((kind = 'http') = (url is not null))
);
create index status_checks_due_idx on status_checks (next_check_at) where enabled;
create index status_checks_component_idx on status_checks (component_id);
grant select, insert, update, delete on status_checks to parapet_app;
