-- Issue 13, property 1: TOTP factors and recovery codes carry a MAC under a keyring key the
-- database never holds (src/modules/identity/mfa/factor-integrity.ts): a factor over its id, user
-- and creation (its seed is sealed with the row id as associated data, so it opens in no other
-- row), a recovery code over its user, digest and creation. Every read that verifies a second
-- factor checks it; a row without a valid MAC proves nothing. SQL running as parapet_app can still
-- insert a factor or a code with a chosen digest for any user, or move a factor to another user,
-- but the application no longer accepts the row.
alter table totp_factors add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);
alter table mfa_recovery_codes add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);

-- Back-fill that cannot be forged, as for API keys and role bindings (0062, 0063): the owner
-- copies each existing row's trusted fields; at start the identity module MACs the copy — not the
-- live row — in the verified jobs context, writes the MAC onto the live row (only while it has
-- none) and deletes the copy. parapet_app may read and delete copies only in the jobs context,
-- and never insert or change one.
create policy totp_factors_migration_0082 on totp_factors for select to parapet_owner using (true);
create table totp_factors_mac_upgrade as select id, user_id, created_at from totp_factors;
drop policy totp_factors_migration_0082 on totp_factors;
alter table totp_factors_mac_upgrade add primary key (id);
alter table totp_factors_mac_upgrade enable row level security;
alter table totp_factors_mac_upgrade force row level security;
create policy totp_factors_mac_upgrade_jobs on totp_factors_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on totp_factors_mac_upgrade to parapet_app;

-- Used codes prove nothing any more: only unused ones are carried over.
create table mfa_recovery_codes_mac_upgrade as select user_id, code_hash, created_at from mfa_recovery_codes where used_at is null;
alter table mfa_recovery_codes_mac_upgrade add primary key (user_id, code_hash);
alter table mfa_recovery_codes_mac_upgrade enable row level security;
alter table mfa_recovery_codes_mac_upgrade force row level security;
create policy mfa_recovery_codes_mac_upgrade_jobs on mfa_recovery_codes_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on mfa_recovery_codes_mac_upgrade to parapet_app;
