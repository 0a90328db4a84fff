-- Issue 13, property 2: refresh-token digests at rest are keyed, as session digests are (0095):
-- HMAC-SHA256 under a keyring-derived key over the secret's SHA-256. Existing rows
-- (digest_keyed = false) are re-keyed and re-MAC'd at start when their MAC verifies.
alter table refresh_tokens add column digest_keyed boolean not null default false;
alter table refresh_tokens alter column digest_keyed set default true;
