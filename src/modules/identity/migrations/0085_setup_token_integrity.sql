-- Issue 13, property 1: a setup link (the one-time link that creates the first platform
-- administrator) carries a MAC under a keyring key the database never holds (setup-service.ts,
-- `setup-token/1`) over its id, digest, creation and expiry. SQL running as parapet_app could
-- clear every operator flag (a flag without its MAC no longer counts, so setup looks pending) and
-- insert a token with a chosen digest; the application now refuses that token.
--
-- Existing links have no MAC and are refused from now on: a link lives an hour, and the operator
-- prints a new one with `parapet setup-link` (a starting node prints one too while setup is
-- pending and no valid link is live).
alter table setup_tokens add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);
