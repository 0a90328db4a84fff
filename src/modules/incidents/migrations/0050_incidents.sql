-- Incidents with regulatory clocks and the public status page (IR-1…IR-4; docs/incidents.md).
-- Platform-level: an incident is about the deployment that Parapet and its customers run on, and
-- the status page is one per deployment. Only platform administrators read or write these tables
-- through the API; organizations affected are listed on the incident.

-- Components shown on the public status page (IR-4).
create table status_components (
  id uuid primary key,
  name text not null check (length(name) between 1 and 100),
  description text not null default '' check (length(description) <= 500),
  status text not null check (status in ('operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance')),
  position integer not null default 0,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index status_components_name_idx on status_components (lower(name));

-- An incident (IR-1): phase follows NIST SP 800-61r3 / CSF 2.0 respond functions.
create table incidents (
  id uuid primary key,
  title text not null check (length(title) between 1 and 200),
  severity text not null check (severity in ('critical', 'high', 'medium', 'low')),
  phase text not null check (phase in ('detect', 'analyse', 'contain', 'eradicate', 'recover', 'post_incident')),
  detected_at timestamptz not null,
  personal_data_breach boolean not null default false,
  aware_at timestamptz,
  resolved_at timestamptz,
  affected_components uuid[] not null default '{}',
  affected_organizations uuid[] not null default '{}',
  created_by uuid,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index incidents_open_idx on incidents (resolved_at, detected_at desc);

-- The timeline: internal notes, public updates (the only entries the status page shows) and
-- recorded changes of phase, severity or breach status.
create table incident_entries (
  id uuid primary key,
  incident_id uuid not null references incidents (id) on delete cascade,
  kind text not null check (kind in ('note', 'public_update', 'change')),
  body text not null check (length(body) between 1 and 5000),
  author_id uuid,
  created_at timestamptz not null
);
create index incident_entries_incident_idx on incident_entries (incident_id, created_at, id);

-- Deadline clocks (IR-2, IR-3): one row per clock; the rolling update clock gets a new row per
-- update. `overdue_alerted_at` makes the overdue escalation fire once.
create table incident_clocks (
  id uuid primary key,
  incident_id uuid not null references incidents (id) on delete cascade,
  clock text not null check (clock in ('first_notice', 'update', 'gdpr_art33', 'nis2_early_warning', 'nis2_notification', 'nis2_final_report', 'post_incident_report')),
  started_at timestamptz not null,
  due_at timestamptz not null,
  met_at timestamptz,
  met_by text check (length(met_by) between 1 and 200),
  overdue_alerted_at timestamptz
);
create index incident_clocks_open_idx on incident_clocks (due_at) where met_at is null;
create index incident_clocks_incident_idx on incident_clocks (incident_id, started_at, id);

-- Timeline entries are append-only: the application may not change or delete them.
grant select, insert, update on status_components, incidents, incident_clocks to parapet_app;
grant select, insert on incident_entries to parapet_app;

-- An overdue clock raises a security alert for the configured organization.
alter table security_alerts drop constraint security_alerts_kind_check;
alter table security_alerts add constraint security_alerts_kind_check check (kind in ('break_glass', 'refresh_token_reused', 'trust_check_failed', 'incident_clock_overdue'));
