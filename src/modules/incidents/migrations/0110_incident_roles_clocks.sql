-- Issue 21: roles, configurable severities, more regulatory clocks, warnings and escalations
-- (IR-1, IR-2, IR-3; docs/incidents.md).

-- Severity levels are configured (PARAPET_INCIDENT_SEVERITIES); the database keeps their shape only.
alter table incidents drop constraint incidents_severity_check;
alter table incidents add constraint incidents_severity_check check (severity ~ '^[a-z][a-z0-9_]{0,29}$');

-- Roles (incident.io / PagerDuty): the incident commander decides (phase, severity, resolution,
-- roles once set); the communications lead speaks (public updates, notices to organizations).
alter table incidents add column commander_id uuid;
alter table incidents add column communications_id uuid;

-- India DPDP Rules 2025 r. 7(2)(b) 72 h, CERT-In Directions 2022 6 h, and the affected customers'
-- notice window (24/48/72 h) join the breach clocks.
alter table incident_clocks drop constraint incident_clocks_clock_check;
alter table incident_clocks add constraint incident_clocks_clock_check check (clock in (
  'first_notice', 'update', 'gdpr_art33', 'nis2_early_warning', 'nis2_notification', 'nis2_final_report', 'post_incident_report',
  'dpdp_report', 'cert_in', 'customer_breach_notice'));

-- When a clock starts to warn (stored, so the leader's query is an index range), and when the
-- warning was claimed (once, whichever node).
alter table incident_clocks add column warn_at timestamptz;
update incident_clocks set warn_at = due_at - least((due_at - started_at) / 4, interval '24 hours');
alter table incident_clocks alter column warn_at set not null;
alter table incident_clocks add column warned_at timestamptz;
create index incident_clocks_warn_idx on incident_clocks (warn_at) where met_at is null and warned_at is null;

-- Escalations (a warning before a clock is due, an overdue clock), one row per channel and target:
-- the outbox the leader sends, and the record of what was sent and whether it arrived.
create table incident_escalations (
  id uuid primary key,
  incident_id uuid not null references incidents (id) on delete cascade,
  clock_id uuid not null references incident_clocks (id) on delete cascade,
  clock text not null,
  kind text not null check (kind in ('warning', 'overdue')),
  channel text not null check (channel in ('mail', 'webhook')),
  target text not null check (length(target) between 1 and 2000),
  created_at timestamptz not null,
  next_attempt_at timestamptz not null,
  attempts integer not null default 0,
  mail_id uuid,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text,
  unique (clock_id, kind, channel, target)
);
create index incident_escalations_due_idx on incident_escalations (next_attempt_at) where delivered_at is null and failed_at is null;
create index incident_escalations_incident_idx on incident_escalations (incident_id, created_at);
grant select, insert, update on incident_escalations to parapet_app;
