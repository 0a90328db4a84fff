-- The rest of the disclosure program (issue 22; docs/disclosure.md): an assignee and a linked
-- incident per report, researcher credit given with the reporter's consent, a bounty per report
-- and the tier it came from, the program settings (business calendar, fix tiers), the history of
-- each report's clocks, and published advisories (CSAF 2.0). Platform-level like 0052.

alter table disclosure_reports
  -- A platform operator (identity's users; no foreign key across modules, checked by the service).
  add column assignee_user_id uuid,
  -- An incident of the incidents module (checked through its API).
  add column incident_id uuid,
  -- Credit is the reporter's choice: 'named' (with credit_name), 'anonymous', or 'none'; null until asked.
  add column credit_consent text check (credit_consent in ('named', 'anonymous', 'none')),
  add column credit_name text check (length(credit_name) between 1 and 100),
  add column credit_consented_at timestamptz,
  add column bounty_amount text check (length(bounty_amount) between 1 and 100),
  add column bounty_tier text check (bounty_tier in ('critical', 'high', 'medium', 'low')),
  add constraint disclosure_reports_credit_name check ((credit_consent = 'named') = (credit_name is not null) or (credit_consent is null and credit_name is null)),
  add constraint disclosure_reports_bounty check ((bounty_amount is null) = (bounty_tier is null));

-- The program's settings (working days, holidays, fix days by severity, reminder lead, CSAF
-- publisher name). One row; absent means the built-in defaults.
create table disclosure_settings (
  tenant_id uuid primary key default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  data jsonb not null,
  updated_at timestamptz not null
);

-- The history of a report's clocks: started, moved (a new due time), met, reminded, overdue.
-- `claim` is set on reminders and overdue escalations (clock, event and due time): its uniqueness
-- lets exactly one node send each one, and a moved deadline gets its own.
create table disclosure_clock_events (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  report_id uuid not null references disclosure_reports(id) on delete cascade,
  clock text not null check (clock in ('acknowledge', 'assess', 'fix')),
  event text not null check (event in ('started', 'moved', 'met', 'reminded', 'overdue', 'stopped')),
  due_at timestamptz,
  at timestamptz not null,
  claim text check (length(claim) <= 200),
  -- The order events were written in (several share one instant).
  seq bigint generated always as identity,
  unique (report_id, claim)
);
create index disclosure_clock_events_report_idx on disclosure_clock_events (report_id, seq);

-- Published advisories: one per report, with a CSAF 2.0 document built from these columns. The
-- text is the security team's, not the reporter's.
create table disclosure_advisories (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  report_id uuid not null unique references disclosure_reports(id) on delete restrict,
  tracking_id text not null unique check (tracking_id ~ '^[A-Z0-9-]{3,40}$'),
  title text not null check (length(title) between 1 and 200),
  summary text not null check (length(summary) between 1 and 10000),
  product_name text not null check (length(product_name) between 1 and 100),
  affected_versions text not null check (length(affected_versions) between 1 and 200),
  fixed_version text not null check (length(fixed_version) between 1 and 100),
  cve text check (cve ~ '^CVE-[0-9]{4}-[0-9]{4,}$'),
  published_at timestamptz not null
);
create index disclosure_advisories_published_idx on disclosure_advisories (published_at);

alter table disclosure_settings enable row level security;
alter table disclosure_settings force row level security;
create policy disclosure_settings_platform on disclosure_settings
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table disclosure_clock_events enable row level security;
alter table disclosure_clock_events force row level security;
create policy disclosure_clock_events_platform on disclosure_clock_events
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table disclosure_advisories enable row level security;
alter table disclosure_advisories force row level security;
create policy disclosure_advisories_platform on disclosure_advisories
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));

-- The clock history is append-only.
grant select, insert, update on disclosure_settings, disclosure_advisories to parapet_app;
grant select, insert on disclosure_clock_events to parapet_app;
grant usage on sequence disclosure_clock_events_seq_seq to parapet_app;
