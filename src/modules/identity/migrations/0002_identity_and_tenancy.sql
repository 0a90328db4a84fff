-- Users, console sessions and the one-time setup link (platform-level tables), and the tenancy
-- hierarchy organizations -> projects -> environments (tenant-owned; tenant id = organization id).

create table users (
  id uuid primary key,
  email text not null check (length(email) between 3 and 254),
  email_normalized text not null unique,
  display_name text not null check (length(display_name) between 1 and 100),
  password_hash text not null,
  is_platform_admin boolean not null default false,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  disabled_at timestamptz
);

-- A console session. The cookie carries an opaque 256-bit secret; only its SHA-256 is stored.
-- Columns for MFA, step-up and token families arrive with the identity issue; the shape leaves room:
-- `auth_methods` is the RFC 8176 amr list, `authenticated_at` feeds step-up checks.
create table sessions (
  id uuid primary key,
  token_hash bytea not null unique check (length(token_hash) = 32),
  user_id uuid not null references users(id) on delete cascade,
  auth_methods text[] not null,
  created_at timestamptz not null,
  authenticated_at timestamptz not null,
  last_seen_at timestamptz not null,
  idle_timeout_seconds integer not null check (idle_timeout_seconds > 0),
  absolute_expires_at timestamptz not null,
  ip text,
  user_agent text,
  revoked_at timestamptz,
  revoked_reason text
);
create index sessions_user_idx on sessions (user_id);

create table setup_tokens (
  id uuid primary key,
  token_hash bytea not null unique check (length(token_hash) = 32),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);

create table organizations (
  id uuid primary key,
  name text not null check (length(name) between 1 and 100),
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

create table memberships (
  tenant_id uuid not null references organizations(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  role text not null check (role in ('owner', 'member')),
  created_at timestamptz not null,
  primary key (tenant_id, user_id)
);
create index memberships_user_idx on memberships (user_id, tenant_id);

create table projects (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id)
);
create unique index projects_name_idx on projects (tenant_id, lower(name));

create table environments (
  tenant_id uuid not null,
  project_id uuid not null,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  kind text not null check (kind in ('development', 'staging', 'production', 'other')),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade
);
create unique index environments_name_idx on environments (tenant_id, project_id, lower(name));

-- Row-level security: enabled and forced (so even the table owner is subject to it).
alter table organizations enable row level security;
alter table organizations force row level security;
alter table memberships enable row level security;
alter table memberships force row level security;
alter table projects enable row level security;
alter table projects force row level security;
alter table environments enable row level security;
alter table environments force row level security;

-- Inside a tenant's transaction, only that tenant's rows. With no tenant set but an authenticated
-- actor, a user sees their own memberships and the organizations they belong to (to list them).
create policy memberships_isolation on memberships
  using (
    tenant_id = (select parapet_tenant())
    or ((select parapet_tenant()) is null and user_id = (select parapet_actor()))
  )
  with check (tenant_id = (select parapet_tenant()));

create policy organizations_isolation on organizations
  using (
    id = (select parapet_tenant())
    or ((select parapet_tenant()) is null
        and id in (select m.tenant_id from memberships m where m.user_id = (select parapet_actor())))
  )
  with check (id = (select parapet_tenant()));

create policy projects_isolation on projects
  using (tenant_id = (select parapet_tenant()))
  with check (tenant_id = (select parapet_tenant()));

create policy environments_isolation on environments
  using (tenant_id = (select parapet_tenant()))
  with check (tenant_id = (select parapet_tenant()));

grant select, insert, update, delete on organizations, memberships, projects, environments to parapet_app;
grant select, insert, update on users to parapet_app;
grant select, insert, update, delete on sessions, setup_tokens to parapet_app;
