-- Issue 13, property 2: password hashes at rest are not readable in bulk. `users.password_hash`
-- now holds the argon2id hash sealed (AES-256-GCM) under a keyring-derived key, bound to the user
-- id (row-integrity.ts `sealPasswordHash`): a bulk read of users yields ciphertexts that cannot be
-- attacked offline without the keyring, and a plain hash written by SQL opens for nobody.
--
-- The database cannot seal (it does not hold the key), so the owner copies every plain hash here;
-- at start the identity module seals THE COPY in the verified jobs context and writes it onto the
-- live row only if the row still holds exactly that hash, then deletes the copy. parapet_app may
-- read and delete copies only in the jobs context, and never insert or change one, so a hash
-- written by hand after this migration is never sealed.
create table users_password_upgrade as
  select id as user_id, password_hash from users where password_hash like '$argon2%';
alter table users_password_upgrade add primary key (user_id);
alter table users_password_upgrade add foreign key (user_id) references users(id) on delete cascade;
alter table users_password_upgrade enable row level security;
alter table users_password_upgrade force row level security;
create policy users_password_upgrade_jobs on users_password_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on users_password_upgrade to parapet_app;
