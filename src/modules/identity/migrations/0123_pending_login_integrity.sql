-- Issue 13: pending MFA sign-ins (a password was accepted; the second factor is awaited) are keyed
-- and MAC'd. `token_hash` now holds the keyed digest (row-integrity.ts `storedDigest`, kind
-- `mfa-pending-login`), so a bulk read cannot be tested against a guessed token, and
-- `integrity_mac` (`mfa-pending-login/1`: id, digest, user, creation, expiry) makes a row inserted
-- by SQL, or one moved onto another user (which would skip that user's password), unknown to the
-- second step.
--
-- Pending sign-ins live five minutes, so the ones open at the upgrade are ended rather than
-- upgraded: their users enter the password again.
alter table mfa_pending_logins add column integrity_mac bytea;
delete from mfa_pending_logins;
