-- Access control (AC-1, AC-2, AC-3; docs/access-control.md): custom roles, service accounts and
-- role bindings at organization, project or environment scope, with optional conditions and expiry.
-- Built-in roles live in code (src/modules/access/permissions.ts), not here.

create table access_roles (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  description text not null default '' check (length(description) <= 500),
  permissions text[] not null check (cardinality(permissions) between 1 and 200),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id)
);
create unique index access_roles_name_idx on access_roles (tenant_id, lower(name));

-- A non-human principal of one organization. Its credentials (OAuth clients, keys) hang off it.
create table service_accounts (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  description text not null default '' check (length(description) <= 500),
  created_by uuid,
  created_at timestamptz not null,
  disabled_at timestamptz,
  primary key (tenant_id, id)
);
create unique index service_accounts_name_idx on service_accounts (tenant_id, lower(name));

create table role_bindings (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  principal_type text not null check (principal_type in ('user', 'service_account')),
  principal_id uuid not null,
  -- Exactly one of: a built-in role key, or a custom role of this organization.
  built_in_role text check (built_in_role in ('tenant_admin', 'security_admin', 'security_analyst', 'viewer', 'auditor', 'service_account')),
  custom_role_id uuid,
  -- Scope: neither = the organization; project; or environment (which names its project too).
  project_id uuid,
  environment_id uuid,
  -- AC-3 conditions: {"ip": [cidr…], "mfa": true, "time": {"timezone", "days", "start", "end"}}.
  conditions jsonb,
  expires_at timestamptz,
  -- The just-in-time request that created this binding (AC-4), if any.
  grant_id uuid,
  created_by uuid,
  created_at timestamptz not null,
  last_used_at timestamptz,
  primary key (tenant_id, id),
  check ((built_in_role is null) <> (custom_role_id is null)),
  check (environment_id is null or project_id is not null),
  check (conditions is null or jsonb_typeof(conditions) = 'object'),
  foreign key (tenant_id, custom_role_id) references access_roles (tenant_id, id),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade,
  foreign key (tenant_id, environment_id) references environments (tenant_id, id) on delete cascade
);
create index role_bindings_principal_idx on role_bindings (tenant_id, principal_id);
create index role_bindings_role_idx on role_bindings (tenant_id, custom_role_id) where custom_role_id is not null;

alter table access_roles enable row level security;
alter table access_roles force row level security;
alter table service_accounts enable row level security;
alter table service_accounts force row level security;
alter table role_bindings enable row level security;
alter table role_bindings force row level security;

create policy access_roles_isolation on access_roles using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy service_accounts_isolation on service_accounts using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy role_bindings_isolation on role_bindings using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));

grant select, insert, update, delete on access_roles, service_accounts, role_bindings to parapet_app;

-- Until now owners could do everything and members only read: give every existing membership the
-- equivalent binding at organization scope. The migration runs as parapet_owner, which forced RLS
-- also binds, so two policies for that role exist only for the length of this statement.
create policy memberships_migration_0007 on memberships for select to parapet_owner using (true);
create policy role_bindings_migration_0007 on role_bindings for insert to parapet_owner with check (true);
insert into role_bindings (tenant_id, id, principal_type, principal_id, built_in_role, created_at)
select m.tenant_id, gen_random_uuid(), 'user', m.user_id, case m.role when 'owner' then 'tenant_admin' else 'viewer' end, m.created_at
from memberships m;
drop policy memberships_migration_0007 on memberships;
drop policy role_bindings_migration_0007 on role_bindings;
