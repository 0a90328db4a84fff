-- Researcher portal (docs/disclosure.md): a session opened with a single-use portal link, a
-- threaded conversation per report, and the coordinated disclosure date both sides agree on.
-- Platform-level like 0052: tenant_id is always the platform tenant, RLS forced.

-- A portal session: the SHA-256 of the cookie's value, bound to the address the link was mailed to.
create table disclosure_portal_sessions (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  token_hash bytea not null unique,
  email text not null check (length(email) between 3 and 254),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index disclosure_portal_sessions_expiry_idx on disclosure_portal_sessions (expires_at);

-- Messages between the reporter and the platform's triagers; bodies field-encrypted (pk1) under
-- the platform tenant's key, bound to the row.
create table disclosure_messages (
  id uuid primary key,
  tenant_id uuid not null default '00000000-0000-0000-0000-000000000000' check (tenant_id = '00000000-0000-0000-0000-000000000000'),
  report_id uuid not null references disclosure_reports(id) on delete cascade,
  author text not null check (author in ('reporter', 'triager')),
  -- The triager's user id (null for the reporter, who has no account).
  author_user_id uuid,
  body_sealed text not null,
  created_at timestamptz not null,
  check ((author = 'triager') = (author_user_id is not null))
);
create index disclosure_messages_report_idx on disclosure_messages (report_id, created_at);

-- The coordinated disclosure date: proposed by one side, agreed when the other accepts that date.
-- A calendar day as text (`YYYY-MM-DD`): no time zone, and drivers return it as written.
alter table disclosure_reports
  add column disclosure_date text check (disclosure_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  add column disclosure_date_proposed_by text check (disclosure_date_proposed_by in ('reporter', 'triager')),
  add column disclosure_date_agreed_at timestamptz,
  add constraint disclosure_reports_date_proposed check ((disclosure_date is null) = (disclosure_date_proposed_by is null));

alter table disclosure_portal_sessions enable row level security;
alter table disclosure_portal_sessions force row level security;
create policy disclosure_portal_sessions_platform on disclosure_portal_sessions
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));
alter table disclosure_messages enable row level security;
alter table disclosure_messages force row level security;
create policy disclosure_messages_platform on disclosure_messages
  using (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = coalesce((select parapet_tenant()), '00000000-0000-0000-0000-000000000000'::uuid));

grant select, insert, update, delete on disclosure_portal_sessions, disclosure_messages to parapet_app;
