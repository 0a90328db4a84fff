-- Issue 13, property 1: a user's address carries a MAC. Sign-in, password reset, SSO and SCIM find
-- the account by its address, so `UPDATE users SET email = <the attacker's>` on a victim's row
-- would let a reset mail, or the attacker's own (legitimately verified) IdP, reach that account.
-- `email_mac` = HMAC-SHA256 under the keyring key `row-integrity` over (`user-email/1`, id, email,
-- email_normalized) — identity-store.ts `userEmailMac` — written with the address and checked by
-- every look-up that trusts it (`findUserByEmail`); a row without a valid MAC is no account there.
--
-- The database cannot compute MACs, so the owner copies every existing address here; at start the
-- identity module MACs THE COPY in the verified jobs context and writes the MAC onto the live row
-- only while the row still holds exactly that address, then deletes the copy (as 0094 did for
-- password hashes). parapet_app may read and delete copies only in the jobs context and never insert
-- or change one, so an address written by hand after this migration is never MAC'd.
alter table users add column email_mac bytea;

create table users_email_upgrade as
  select id as user_id, email, email_normalized from users;
alter table users_email_upgrade add primary key (user_id);
alter table users_email_upgrade add foreign key (user_id) references users(id) on delete cascade;
alter table users_email_upgrade enable row level security;
alter table users_email_upgrade force row level security;
create policy users_email_upgrade_jobs on users_email_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on users_email_upgrade to parapet_app;
