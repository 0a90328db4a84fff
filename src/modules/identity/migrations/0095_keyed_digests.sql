-- Issue 13, property 2: token digests at rest are keyed. Session, setup-link and recovery-code
-- digests are stored as HMAC-SHA256 under a keyring-derived key over the secret's SHA-256
-- (row-integrity.ts `storedDigest`), so a bulk read cannot be tested against any guess without the
-- keyring. Look-ups compute the same value from the presented secret: same index, same statement.
--
-- Existing rows hold plain SHA-256 digests (digest_keyed = false); from now on new rows are keyed
-- (the default). At start the identity module re-keys each existing row WHOSE MAC VERIFIES (only
-- rows the application wrote) and re-MACs it in the same statement, so live sessions, setup links
-- and unused recovery codes keep working. A row with a plain digest matches no look-up.
alter table sessions add column digest_keyed boolean not null default false;
alter table sessions alter column digest_keyed set default true;
alter table setup_tokens add column digest_keyed boolean not null default false;
alter table setup_tokens alter column digest_keyed set default true;
alter table mfa_recovery_codes add column digest_keyed boolean not null default false;
alter table mfa_recovery_codes alter column digest_keyed set default true;
