-- SCIM 2.0 directory sync (RFC 7643/7644; issue 18 part 4; docs/sso.md "SCIM"): each organization's
-- directories (one bearer token each, stored as a SHA-256 digest), the users and groups its IdP
-- pushed, group memberships, and the admin's group-to-role mappings. Tenant tables under forced RLS.

create table scim_directories (
  tenant_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 100),
  -- The role every user the directory provisions receives (a built-in role key).
  default_role text not null check (length(default_role) between 1 and 64),
  -- SHA-256 of the bearer token (never the token); null once revoked.
  token_hash bytea check (token_hash is null or length(token_hash) = 32),
  token_issued_at timestamptz,
  created_by uuid,
  created_at timestamptz not null,
  primary key (tenant_id, id)
);
create unique index scim_directories_token_idx on scim_directories (token_hash) where token_hash is not null;
create unique index scim_directories_id_idx on scim_directories (id);

create table scim_group_roles (
  tenant_id uuid not null references organizations(id) on delete cascade,
  directory_id uuid not null,
  id uuid not null,
  -- Matched case-insensitively against the displayName of the groups the IdP pushes.
  group_name text not null check (length(group_name) between 1 and 256),
  role text not null check (length(role) between 1 and 64),
  created_at timestamptz not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, directory_id) references scim_directories (tenant_id, id) on delete cascade
);
create unique index scim_group_roles_name_idx on scim_group_roles (tenant_id, directory_id, lower(group_name), role);

create table scim_users (
  tenant_id uuid not null references organizations(id) on delete cascade,
  directory_id uuid not null,
  id uuid not null,
  -- The Parapet account this SCIM resource provisions.
  user_id uuid not null references users(id) on delete cascade,
  user_name text not null check (length(user_name) between 1 and 254),
  external_id text check (external_id is null or length(external_id) <= 256),
  active boolean not null,
  display_name text,
  given_name text,
  family_name text,
  -- [{ value, type, primary }] as the IdP sent them (at most 10).
  emails jsonb not null default '[]',
  -- The organization-level roles the directory last gave the member (default role + mapped groups).
  applied_roles text[] not null default '{}',
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, directory_id) references scim_directories (tenant_id, id) on delete cascade
);
create unique index scim_users_user_name_idx on scim_users (tenant_id, directory_id, lower(user_name));
create unique index scim_users_user_idx on scim_users (tenant_id, directory_id, user_id);

create table scim_groups (
  tenant_id uuid not null references organizations(id) on delete cascade,
  directory_id uuid not null,
  id uuid not null,
  display_name text not null check (length(display_name) between 1 and 256),
  external_id text check (external_id is null or length(external_id) <= 256),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, directory_id) references scim_directories (tenant_id, id) on delete cascade
);

create table scim_group_members (
  tenant_id uuid not null references organizations(id) on delete cascade,
  group_id uuid not null,
  scim_user_id uuid not null,
  primary key (tenant_id, group_id, scim_user_id),
  foreign key (tenant_id, group_id) references scim_groups (tenant_id, id) on delete cascade,
  foreign key (tenant_id, scim_user_id) references scim_users (tenant_id, id) on delete cascade
);
create index scim_group_members_user_idx on scim_group_members (tenant_id, scim_user_id);

alter table scim_directories enable row level security;
alter table scim_directories force row level security;
alter table scim_group_roles enable row level security;
alter table scim_group_roles force row level security;
alter table scim_users enable row level security;
alter table scim_users force row level security;
alter table scim_groups enable row level security;
alter table scim_groups force row level security;
alter table scim_group_members enable row level security;
alter table scim_group_members force row level security;
create policy scim_directories_isolation on scim_directories using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy scim_group_roles_isolation on scim_group_roles using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy scim_users_isolation on scim_users using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy scim_groups_isolation on scim_groups using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
create policy scim_group_members_isolation on scim_group_members using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on scim_directories, scim_group_roles, scim_users, scim_groups, scim_group_members to parapet_app;

-- The organization of a SCIM request: the directory named in the URL whose LIVE token digest is the
-- one presented. Without the token it answers nothing, so a token of one directory never reaches
-- another directory or organization. Runs as its owner, whom forced RLS restricts too.
create policy scim_directories_token_lookup on scim_directories for select to parapet_owner using (true);
create function parapet_scim_directory(directory uuid, presented bytea) returns uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select d.tenant_id from public.scim_directories d where d.id = directory and d.token_hash is not null and d.token_hash = presented
$$;
revoke all on function parapet_scim_directory(uuid, bytea) from public;
grant execute on function parapet_scim_directory(uuid, bytea) to parapet_app;
