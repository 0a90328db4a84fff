-- Issue 18 part 2: a SAML connection may keep the URL its IdP metadata was fetched from (through
-- the outbound address guard; refreshed on request), and a domain records how it was proved (DNS
-- TXT or the HTTPS well-known file).
alter table sso_connections add column saml_metadata_url text check (saml_metadata_url is null or (length(saml_metadata_url) <= 2000 and saml_metadata_url ~ '^https?://'));
alter table sso_domains add column verified_by text check (verified_by is null or verified_by in ('dns_txt', 'https_well_known'));
