-- Vulnerability disclosure (VDP-2, VDP-3; docs/disclosure.md): reports, their single-use links,
-- and the published policy. Platform-level: a report is about the deployment, not a tenant. Every
-- table carries tenant_id (always the platform tenant) and forced RLS like totp_factors (0020), so
-- the key maintenance job re-encrypts `content_sealed` by tenant like every encrypted column, and
-- no organization's context ever sees a row.

create table disclosure_reports (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  -- Lower-cased; the portal finds a reporter's reports by it.
  reporter_email text not null check (length(reporter_email) between 3 and 254),
  -- Title and body, field-encrypted (`pk1.…`) under the platform tenant's key, bound to this row.
  content_sealed text not null,
  status text not null check (status in ('unverified', 'received', 'acknowledged', 'assessed', 'fixed', 'rejected')),
  cvss_vector text check (length(cvss_vector) <= 200),
  cvss_score numeric(3, 1),
  severity text check (severity in ('none', 'low', 'medium', 'high', 'critical')),
  created_at timestamptz not null,
  -- The clocks start when the reporter's address is verified (VDP-3).
  received_at timestamptz,
  acknowledge_by timestamptz,
  acknowledged_at timestamptz,
  assess_by timestamptz,
  assessed_at timestamptz,
  fix_by timestamptz,
  fixed_at timestamptz,
  updated_at timestamptz not null
);
create index disclosure_reports_email_idx on disclosure_reports (reporter_email, created_at);
create index disclosure_reports_status_idx on disclosure_reports (status, created_at);

-- Single-use, expiring links: `verify` accepts one report, `portal` shows a reporter their reports.
-- Only the SHA-256 of the token is stored.
create table disclosure_tokens (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  purpose text not null check (purpose in ('verify', 'portal')),
  token_hash bytea not null unique,
  report_id uuid references disclosure_reports(id) on delete cascade,
  email text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  check ((purpose = 'verify') = (report_id is not null))
);
create index disclosure_tokens_email_idx on disclosure_tokens (email, created_at);

-- The published policy (scope, safe harbor, rules, bounty tiers), edited by platform administrators.
-- One row; absent means the built-in default text.
create table disclosure_policy (
  tenant_id uuid primary key default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  data jsonb not null,
  updated_at timestamptz not null
);

alter table disclosure_reports enable row level security;
alter table disclosure_reports force row level security;
create policy disclosure_reports_platform on disclosure_reports
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table disclosure_tokens enable row level security;
alter table disclosure_tokens force row level security;
create policy disclosure_tokens_platform on disclosure_tokens
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table disclosure_policy enable row level security;
alter table disclosure_policy force row level security;
create policy disclosure_policy_platform on disclosure_policy
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));

grant select, insert, update, delete on disclosure_reports, disclosure_tokens, disclosure_policy to parapet_app;
