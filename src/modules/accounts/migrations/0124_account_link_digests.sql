-- Issue 13: account links and invitations are stored keyed; account links are MAC'd.
--
-- `account_tokens.token_hash` and `invitations.token_hash` now hold HMAC-SHA256 under a keyring-derived
-- key over the link's SHA-256 (row-integrity.ts `storedDigest`, kinds `account-token`, `invitation`),
-- so a bulk read cannot be tested against a guessed link. `account_tokens.integrity_mac`
-- (`account-token/1`: id, digest, user, purpose, address, session, creation, expiry) makes a reset or
-- verification link inserted by SQL, or the attacker's own link moved onto a victim (a password reset
-- of the victim's account), unknown to the application. Invitations are tenant rows behind forced RLS,
-- which injected SQL outside the organization's context cannot reach; they are not MAC'd.
--
-- Account links that are unused at the upgrade are expired (marked used): reset links live 30
-- minutes, verification and address-change links a day; the report-a-change link (7 days) of an
-- address changed in the last week stops working too — the user can still sign in and the change
-- was announced to both addresses. Pending invitations (7 days, sent to other people) are kept:
-- the owner copies their digests here, and at start the accounts module keys THE COPY in the jobs
-- context and writes it onto the live row only while the row still holds exactly that digest, as
-- migration 0094 did for password hashes; a digest written by hand after this migration is never keyed.
alter table account_tokens add column integrity_mac bytea;
update account_tokens set used_at = now() where used_at is null;

create table invitations_digest_upgrade as
  select tenant_id, id, token_hash from invitations where accepted_at is null and revoked_at is null and expires_at > now();
alter table invitations_digest_upgrade add primary key (tenant_id, id);
alter table invitations_digest_upgrade enable row level security;
alter table invitations_digest_upgrade force row level security;
create policy invitations_digest_upgrade_jobs on invitations_digest_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on invitations_digest_upgrade to parapet_app;
