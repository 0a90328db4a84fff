-- Issue 13, property 1: an API key row carries a MAC under a keyring key the database never holds
-- (src/modules/api-keys/key-integrity.ts) over the fields the application trusts: its id, tenant,
-- creator, secret digest, permissions and scope, whether it signs, its lifetime, rotation and
-- revocation. Every read checks it; a row without a valid MAC does not exist. SQL running as
-- parapet_app can still insert a key with a chosen hash, raise a key's permissions or clear its
-- revocation, but the application no longer accepts the row.
alter table api_keys add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);

-- Back-fill that cannot be forged. This migration runs as the owner and copies each existing key's
-- trusted fields into api_keys_mac_upgrade; at start, the application (in the verified jobs context,
-- which injected SQL cannot enter) MACs the copy — not the live row — writes that MAC onto the live
-- row and deletes the copy. A key altered between this migration and the start therefore fails its
-- MAC, and a key inserted by hand after it has no copy. parapet_app may read and delete copies only
-- in the jobs context, and never insert or change one.
create table api_keys_mac_upgrade as
  select tenant_id, id, mode, secret_hash, role, permissions, project_id, environment_id, signing_secret_sealed,
         created_by_type, created_by, created_at, expires_at, rotated_to, rotated_from, retires_at, revoked_at
    from api_keys;
alter table api_keys_mac_upgrade add primary key (tenant_id, id);
alter table api_keys_mac_upgrade enable row level security;
alter table api_keys_mac_upgrade force row level security;
create policy api_keys_mac_upgrade_jobs on api_keys_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on api_keys_mac_upgrade to parapet_app;
