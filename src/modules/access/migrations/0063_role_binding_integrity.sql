-- Issue 13, property 1: a role binding carries a MAC under a keyring key the database never holds
-- (src/modules/access/binding-integrity.ts) over every field a decision reads, its id and tenant
-- among them. Every read checks it; a binding without a valid MAC grants nothing. SQL running as
-- parapet_app can still insert a binding making itself Tenant Admin or change one's role, scope,
-- conditions or expiry, but the application no longer honours the row.
alter table role_bindings add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);

-- Back-fill that cannot be forged, as for API keys (0062): the owner copies each existing
-- binding's trusted fields; at start the access module MACs the copy — not the live row — in the
-- verified jobs context, writes the MAC onto the live row and deletes the copy. parapet_app may read
-- and delete copies only in the jobs context, and never insert or change one.
create policy role_bindings_migration_0063 on role_bindings for select to parapet_owner using (true);
create table role_bindings_mac_upgrade as
  select tenant_id, id, principal_type, principal_id, built_in_role, custom_role_id, project_id, environment_id,
         conditions, expires_at, grant_id, created_by, created_at
    from role_bindings;
drop policy role_bindings_migration_0063 on role_bindings;
alter table role_bindings_mac_upgrade add primary key (tenant_id, id);
alter table role_bindings_mac_upgrade enable row level security;
alter table role_bindings_mac_upgrade force row level security;
create policy role_bindings_mac_upgrade_jobs on role_bindings_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on role_bindings_mac_upgrade to parapet_app;
