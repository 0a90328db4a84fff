-- Issue 13, property 2: pending OpenID sign-ups hold a password hash and a link digest. The hash is
-- now sealed (AES-256-GCM under the keyring-derived key users' hashes are sealed with, associated
-- data naming the sign-up row, so it opens for no user and in no other row) and the digest keyed
-- (row-integrity.ts `storedDigest`, kind `oidc-sign-up`), as migrations 0094–0095 did for users.
-- At confirmation the hash is opened and sealed again for the new user.
--
-- Sign-up links live a day; the ones pending at the upgrade are expired (marked used) rather than
-- upgraded: the person signs up again.
update oidc_sign_ups set used_at = now() where used_at is null;
