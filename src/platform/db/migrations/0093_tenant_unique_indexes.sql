-- Issue 13, property 5: a unique index on a tenant table that leaves out tenant_id answers, through
-- a unique violation, whether a value exists in some other tenant — SQL running as parapet_app
-- inserts a row with a guessed value in its own tenant and reads the error. Each such index now
-- includes tenant_id; where a lookup before any tenant is known needs the column alone (a
-- SECURITY DEFINER function that also checks a presented secret), a plain index serves it. The one
-- index that must stay global, sso_domains_verified_idx (a domain is verified by one organization
-- at most), is reviewed in docs/tenancy.md and by `parapet doctor`.

-- API keys: (tenant_id, id) is already the primary key; parapet_api_key_tenant(id, digest) finds a
-- key by id with a plain index.
drop index api_keys_id_idx;
create index api_keys_id_lookup_idx on api_keys (id);

-- Invitations are looked up by token digest inside their organization's context only.
alter table invitations drop constraint invitations_token_hash_key;
alter table invitations add constraint invitations_token_hash_key unique (tenant_id, token_hash);

-- TOTP factors all belong to the platform tenant (0020): including tenant_id changes nothing they
-- enforce, and keeps the rule without exception.
alter table totp_factors drop constraint totp_factors_pkey;
alter table totp_factors add primary key (tenant_id, id);
drop index totp_factors_one_confirmed;
create unique index totp_factors_one_confirmed on totp_factors (tenant_id, user_id) where confirmed_at is not null;

-- SCIM directories: parapet_scim_directory(id, digest) finds a directory by id and token digest.
drop index scim_directories_token_idx;
create unique index scim_directories_token_idx on scim_directories (tenant_id, token_hash) where token_hash is not null;
drop index scim_directories_id_idx;
create index scim_directories_id_lookup_idx on scim_directories (id);
