-- Issue 13, property 1: a passkey carries a MAC under a keyring key the database never holds
-- (src/modules/passkeys/passkey-integrity.ts, `passkey/1`) over its id, user, credential id,
-- public key, user handle, backup eligibility and creation. The passwordless and second-factor
-- look-ups check it; a passkey without a valid MAC does not exist. SQL running as parapet_app can
-- still insert a credential with its own public key for any user, or move its own passkey to
-- another user, but no sign-in accepts the row.
alter table passkeys add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);

-- Back-fill that cannot be forged, as for API keys, role bindings and second factors (0062, 0063,
-- 0082): the owner copies each passkey's trusted fields; at start the passkeys module MACs the copy
-- in the verified jobs context, writes the MAC onto the live row (only while it has none) and
-- deletes the copy. parapet_app may read and delete copies only in the jobs context.
create table passkeys_mac_upgrade as
  select id, user_id, credential_id, public_key, user_handle, backup_eligible, created_at from passkeys;
alter table passkeys_mac_upgrade add primary key (id);
alter table passkeys_mac_upgrade enable row level security;
alter table passkeys_mac_upgrade force row level security;
create policy passkeys_mac_upgrade_jobs on passkeys_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on passkeys_mac_upgrade to parapet_app;
