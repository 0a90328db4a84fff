-- Issue 13, property 1: rows the application trusts for authentication carry a MAC under a
-- keyring key the database never holds (src/modules/identity/row-integrity.ts), checked on every
-- read. SQL running as parapet_app can still insert or alter such a row, but the application no
-- longer accepts it.
--
-- Existing sessions have no MAC and are refused from now on (their users sign in again): accepting
-- them would also accept any session inserted by hand before the upgrade. Existing platform
-- operators are listed in identity_operator_upgrade, which parapet_app can read and empty but not
-- fill; the identity module MACs them once at start.

alter table sessions add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);
alter table users add column platform_admin_mac bytea check (platform_admin_mac is null or length(platform_admin_mac) = 32);

create table identity_operator_upgrade (
  user_id uuid primary key references users(id) on delete cascade
);
insert into identity_operator_upgrade (user_id) select id from users where is_platform_admin;
grant select, delete on identity_operator_upgrade to parapet_app;

-- Issue 13, property 5: no temporary tables or functions for the app role (pg_temp could shadow
-- unqualified names). Only the database's owner (or a superuser) can revoke what PUBLIC was given
-- at CREATE DATABASE; scripts/postgres-setup.sh does it too, and `parapet doctor` checks it.
do $$
begin
  if exists (select from pg_database d where d.datname = current_database()
               and (pg_has_role(current_user, d.datdba, 'USAGE')
                    or (select rolsuper from pg_roles where rolname = current_user))) then
    execute format('revoke temporary on database %I from public', current_database());
    execute format('revoke temporary on database %I from parapet_app', current_database());
  end if;
end
$$;
