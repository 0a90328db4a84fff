-- Issue 13, property 1: a custom role's permission list carries a MAC under a keyring key the
-- database never holds (src/modules/access/binding-integrity.ts, `access-role/1`: tenant, id,
-- permissions, creation). A binding to a custom role grants what the role lists, so SQL running as
-- parapet_app that raised a role's permissions raised every binding to it; now every read that
-- decides with a role checks its MAC, and a role without a valid MAC is absent (grants nothing).
alter table access_roles add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);

-- Back-fill that cannot be forged, as for role bindings (0063): the owner copies each existing
-- role's trusted fields; at start the access module MACs the copy — not the live row — in the
-- verified jobs context, writes the MAC onto the live row (only while it has none) and deletes the
-- copy. parapet_app may read and delete copies only in the jobs context, and never insert or change one.
create policy access_roles_migration_0090 on access_roles for select to parapet_owner using (true);
create table access_roles_mac_upgrade as select tenant_id, id, permissions, created_at from access_roles;
drop policy access_roles_migration_0090 on access_roles;
alter table access_roles_mac_upgrade add primary key (tenant_id, id);
alter table access_roles_mac_upgrade enable row level security;
alter table access_roles_mac_upgrade force row level security;
create policy access_roles_mac_upgrade_jobs on access_roles_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on access_roles_mac_upgrade to parapet_app;
