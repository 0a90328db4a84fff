-- Issue 13, property 4: parapet_oauth_client_tenant(id) and parapet_oidc_application_tenant(id)
-- told SQL running as parapet_app which organization owns any client id it held (a client id is
-- not a secret: it sits in apps, URLs and logs). Public clients and private_key_jwt clients present
-- no secret, so the lookup cannot be bound to one; instead it is keyed by a MAC of the id under a
-- keyring key the database never holds (`RowIntegrity.rowMac`, kinds `oauth-client-lookup/1` and
-- `oidc-application-lookup/1`). The application computes the MAC of the client id a request
-- presents and asks with it; injected SQL, which cannot compute the MAC, learns nothing from an id.
-- Each row stores its lookup MAC (written with the row; back-filled at start from owner-made copies).
alter table oauth_clients add column lookup_mac bytea check (lookup_mac is null or length(lookup_mac) = 32);
alter table oidc_applications add column lookup_mac bytea check (lookup_mac is null or length(lookup_mac) = 32);
create index oauth_clients_lookup_idx on oauth_clients (lookup_mac);
create index oidc_applications_lookup_idx on oidc_applications (lookup_mac);

-- The (tenant, id) of each existing row: read and deleted by parapet_app only in the jobs context.
-- oauth_clients_tenant_lookup (0009) and oidc_applications_tenant_lookup (0038) let the owner read them.
create table oauth_clients_lookup_upgrade as select tenant_id, id from oauth_clients;
alter table oauth_clients_lookup_upgrade add primary key (tenant_id, id);
alter table oauth_clients_lookup_upgrade enable row level security;
alter table oauth_clients_lookup_upgrade force row level security;
create policy oauth_clients_lookup_upgrade_jobs on oauth_clients_lookup_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on oauth_clients_lookup_upgrade to parapet_app;

create table oidc_applications_lookup_upgrade as select tenant_id, id from oidc_applications;
alter table oidc_applications_lookup_upgrade add primary key (tenant_id, id);
alter table oidc_applications_lookup_upgrade enable row level security;
alter table oidc_applications_lookup_upgrade force row level security;
create policy oidc_applications_lookup_upgrade_jobs on oidc_applications_lookup_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on oidc_applications_lookup_upgrade to parapet_app;

drop function parapet_oauth_client_tenant(uuid);
create function parapet_oauth_client_tenant(lookup bytea) returns uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select case when count(*) operator(pg_catalog.=) 1 then pg_catalog.min(c.tenant_id::text)::uuid end
    from (select tenant_id from public.oauth_clients where lookup_mac operator(pg_catalog.=) lookup limit 2) c
$$;
revoke all on function parapet_oauth_client_tenant(bytea) from public;
grant execute on function parapet_oauth_client_tenant(bytea) to parapet_app;

drop function parapet_oidc_application_tenant(uuid);
create function parapet_oidc_application_tenant(lookup bytea) returns uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select case when count(*) operator(pg_catalog.=) 1 then pg_catalog.min(c.tenant_id::text)::uuid end
    from (select tenant_id from public.oidc_applications where lookup_mac operator(pg_catalog.=) lookup limit 2) c
$$;
revoke all on function parapet_oidc_application_tenant(bytea) from public;
grant execute on function parapet_oidc_application_tenant(bytea) to parapet_app;
