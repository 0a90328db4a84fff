-- Issue 18 part 4: IdP groups mapped to roles at SSO sign-in (docs/sso.md, "Groups to roles").
-- A rule of a connection: members whose IdP asserts the group `group_name` (OIDC `groups` claim,
-- SAML groups attribute; matched case-insensitively) hold `role` (a built-in role key or a custom
-- role id) in the organization, or at one project when `project_id` is set.
create table sso_group_role_rules (
  tenant_id uuid not null references organizations(id) on delete cascade,
  connection_id uuid not null,
  id uuid not null,
  group_name text not null check (length(group_name) between 1 and 256),
  role text not null check (length(role) between 1 and 64),
  project_id uuid,
  created_at timestamptz not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, connection_id) references sso_connections (tenant_id, id) on delete cascade
);
create unique index sso_group_role_rules_unique_idx on sso_group_role_rules (tenant_id, connection_id, lower(group_name), role, coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Which role binding a rule made for which user: the binding is removed at the user's next sign-in
-- when the IdP no longer asserts the group (or the rule is gone). Bindings themselves belong to the
-- access module and are made and ended only through its API.
create table sso_group_bindings (
  tenant_id uuid not null references organizations(id) on delete cascade,
  connection_id uuid not null,
  user_id uuid not null references users(id) on delete cascade,
  rule_id uuid not null,
  binding_id uuid not null,
  created_at timestamptz not null,
  primary key (tenant_id, binding_id),
  foreign key (tenant_id, connection_id) references sso_connections (tenant_id, id) on delete cascade
);
create unique index sso_group_bindings_rule_idx on sso_group_bindings (tenant_id, user_id, rule_id);

alter table sso_group_role_rules enable row level security;
alter table sso_group_role_rules force row level security;
create policy sso_group_role_rules_isolation on sso_group_role_rules using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, delete on sso_group_role_rules to parapet_app;

alter table sso_group_bindings enable row level security;
alter table sso_group_bindings force row level security;
create policy sso_group_bindings_isolation on sso_group_bindings using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, delete on sso_group_bindings to parapet_app;
