-- Just-in-time access (AC-4), break-glass (AC-6) and risky writes behind approval (AC-7);
-- docs/access-requests.md. All four tables are tenant-owned, with forced row-level security.

-- A request for a role at a scope for a while. Approving it creates a role binding whose grant_id
-- is this request's id and whose expiry is approval time + duration, so every use is attributable.
create table access_requests (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  -- Who asked, and who receives the grant (the same person, except for a grant an approver opens
  -- directly for a named operator: a tenant-opened support request).
  requester_id uuid not null,
  principal_id uuid not null,
  -- True when the grantee is a platform operator (no standing access to any tenant).
  operator boolean not null,
  -- A built-in role key or a custom role id (text, as a custom role may be deleted later).
  role text not null check (length(role) between 1 and 64),
  project_id uuid,
  environment_id uuid,
  reason text not null check (length(reason) between 10 and 500),
  duration_minutes integer not null check (duration_minutes between 1 and 10080),
  -- AC-6: an operator's self-approved emergency access, at most one hour.
  break_glass boolean not null default false,
  status text not null check (status in ('pending', 'approved', 'rejected', 'cancelled', 'revoked')),
  decided_by uuid,
  decided_at timestamptz,
  binding_id uuid,
  expires_at timestamptz,
  created_at timestamptz not null,
  primary key (tenant_id, id),
  check (environment_id is null or project_id is not null),
  check (not break_glass or duration_minutes <= 60)
);
create index access_requests_requester_idx on access_requests (tenant_id, requester_id, id);
create index access_requests_pending_idx on access_requests (tenant_id, id) where status = 'pending';

-- Events a tenant's administrators must look at (break-glass access first), until acknowledged.
create table security_alerts (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  kind text not null check (kind in ('break_glass')),
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  summary text not null check (length(summary) between 1 and 500),
  actor_id uuid,
  subject_type text,
  subject_id uuid,
  created_at timestamptz not null,
  acknowledged_at timestamptz,
  acknowledged_by uuid,
  primary key (tenant_id, id)
);

-- Per-organization security settings. No row = every default (risky writes disabled).
create table organization_settings (
  tenant_id uuid primary key references organizations(id) on delete cascade,
  risky_writes text not null default 'disabled' check (risky_writes in ('disabled', 'approval')),
  updated_by uuid,
  updated_at timestamptz not null
);

-- A risky write (delete an organization, project or environment; later: export all data, disable
-- the MFA policy) waiting for a second administrator. `params` names its target.
create table risky_write_approvals (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  operation text not null check (length(operation) between 1 and 64),
  params jsonb not null check (jsonb_typeof(params) = 'object'),
  requested_by uuid not null,
  status text not null check (status in ('pending', 'approved', 'rejected')),
  decided_by uuid,
  decided_at timestamptz,
  created_at timestamptz not null,
  primary key (tenant_id, id)
);
create index risky_write_approvals_pending_idx on risky_write_approvals (tenant_id, id) where status = 'pending';

alter table access_requests enable row level security;
alter table access_requests force row level security;
alter table security_alerts enable row level security;
alter table security_alerts force row level security;
alter table organization_settings enable row level security;
alter table organization_settings force row level security;
alter table risky_write_approvals enable row level security;
alter table risky_write_approvals force row level security;

create policy access_requests_isolation on access_requests using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy security_alerts_isolation on security_alerts using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy organization_settings_isolation on organization_settings using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy risky_write_approvals_isolation on risky_write_approvals using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

grant select, insert, update on access_requests, security_alerts, risky_write_approvals to parapet_app;
grant select, insert, update on organization_settings to parapet_app;
