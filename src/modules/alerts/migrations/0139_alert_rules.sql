-- Automatic security alerts (issue 21 item 3, IR-5; docs/incidents.md "Alert rules").
-- The kind list is redefined as a whole: every earlier kind is kept (0010, 0044, 0050, 0115,
-- 0120) and the rule-driven kinds are added.
alter table security_alerts drop constraint security_alerts_kind_check;
alter table security_alerts add constraint security_alerts_kind_check check (kind in (
  'break_glass', 'refresh_token_reused', 'trust_check_failed', 'incident_clock_overdue', 'disclosure_clock_reminder', 'disclosure_clock_overdue', 'trust_attestation_lapsing',
  'lockouts', 'authorization_denial_spike', 'audit_verification_failed', 'key_provider_error', 'sso_certificate_expiring'));

-- Deduplication: signals of one rule about one subject within one window (`window_start`, the
-- window's start) are one alert, counted in `occurrences`. The unique index makes the count
-- right when two nodes raise at once (an upsert on it).
alter table security_alerts add column window_start timestamptz;
alter table security_alerts add column occurrences integer not null default 1 check (occurrences >= 1);
alter table security_alerts add column last_seen_at timestamptz;
create unique index security_alerts_dedup_idx on security_alerts (tenant_id, kind, subject_type, subject_id, window_start) where window_start is not null;

-- Signals counted per rule, subject and window before their rule's threshold is reached (a
-- lockout, an authorization denial); the row of a window reaching the threshold raises the alert.
create table security_alert_signals (
  tenant_id uuid not null references organizations(id) on delete cascade,
  kind text not null,
  subject_type text not null,
  subject_id uuid not null,
  window_start timestamptz not null,
  count integer not null check (count >= 1),
  primary key (tenant_id, kind, subject_type, subject_id, window_start)
);
alter table security_alert_signals enable row level security;
alter table security_alert_signals force row level security;
create policy security_alert_signals_isolation on security_alert_signals using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on security_alert_signals to parapet_app;

-- Platform administrators' overrides of the built-in rule defaults (no row: the default).
create table security_alert_rules (
  kind text primary key,
  enabled boolean not null,
  threshold integer not null check (threshold between 1 and 100000),
  window_seconds integer not null check (window_seconds between 60 and 31622400),
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  updated_by uuid,
  updated_at timestamptz not null
);
grant select, insert, update, delete on security_alert_rules to parapet_app;

-- Routing: one row per alert, channel and target (mail, webhook), the outbox a leader sends and
-- the record of what was sent and whether it arrived. Ids, kinds and severities only: the
-- alert's text stays in its organization.
create table security_alert_deliveries (
  id uuid primary key,
  organization_id uuid not null,
  alert_id uuid not null,
  kind text not null,
  severity text not null,
  channel text not null check (channel in ('mail', 'webhook')),
  target text not null check (length(target) between 1 and 2000),
  created_at timestamptz not null,
  next_attempt_at timestamptz not null,
  attempts integer not null default 0,
  mail_id uuid,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text,
  unique (organization_id, alert_id, channel, target)
);
create index security_alert_deliveries_due_idx on security_alert_deliveries (next_attempt_at) where delivered_at is null and failed_at is null;
grant select, insert, update on security_alert_deliveries to parapet_app;
