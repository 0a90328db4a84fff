-- The status page's groups, history and scheduled maintenance (IR-4; docs/status-page.md).

-- Components are shown in groups (Atlassian Statuspage's component groups); '' is no group.
alter table status_components add column group_name text not null default '' check (length(group_name) <= 100);

-- Every status a component took, and when: the 90-day history is read from these rows.
create table status_component_changes (
  id uuid primary key,
  component_id uuid not null references status_components (id) on delete cascade,
  status text not null check (status in ('operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance')),
  changed_at timestamptz not null
);
create index status_component_changes_idx on status_component_changes (component_id, changed_at);
insert into status_component_changes (id, component_id, status, changed_at) select id, id, status, updated_at from status_components;
grant select, insert on status_component_changes to parapet_app;

-- Scheduled maintenance windows, shown ahead and while they run; cancelling keeps the row.
create table status_maintenances (
  id uuid primary key,
  title text not null check (length(title) between 1 and 200),
  body text not null default '' check (length(body) <= 5000),
  components uuid[] not null default '{}',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  cancelled_at timestamptz,
  created_at timestamptz not null,
  check (ends_at > starts_at)
);
create index status_maintenances_window_idx on status_maintenances (ends_at, starts_at);
grant select, insert, update on status_maintenances to parapet_app;
