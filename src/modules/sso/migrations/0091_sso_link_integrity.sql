-- Issue 13, property 1: the account links of SSO carry MACs under a keyring key the database
-- never holds (src/modules/sso/sso-integrity.ts). An organization's IdP vouches for the accounts
-- of the domains that organization verified, so SQL running as parapet_app that inserted a
-- connection to its own IdP, changed a connection's issuer, certificates or default role, or
-- marked a domain verified (a domain nobody else verified, or the platform operator's) could sign
-- in as existing accounts. Now a connection without a valid MAC (`sso-connection/1`) is absent and
-- a verification without one (`sso-domain/1`: tenant, id, domain, verified_at) counts as none, in
-- sign-in, routing, enforcement and every listing.
alter table sso_connections add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);
alter table sso_domains add column integrity_mac bytea check (integrity_mac is null or length(integrity_mac) = 32);

-- Back-fill that cannot be forged, as for role bindings (0063): the owner copies each existing
-- connection's and verified domain's trusted fields; at start the sso module MACs the copy — not
-- the live row — in the verified jobs context, writes the MAC onto the live row (only while it has
-- none) and deletes the copy. parapet_app may read and delete copies only in the jobs context.
create policy sso_connections_migration_0091 on sso_connections for select to parapet_owner using (true);
create table sso_connections_mac_upgrade as
  select tenant_id, id, protocol, enabled, default_role, oidc_issuer, oidc_client_id, saml_idp_entity_id, saml_idp_sso_url,
         saml_idp_certs, saml_allow_idp_initiated, created_at
    from sso_connections;
drop policy sso_connections_migration_0091 on sso_connections;
alter table sso_connections_mac_upgrade add primary key (tenant_id, id);
alter table sso_connections_mac_upgrade enable row level security;
alter table sso_connections_mac_upgrade force row level security;
create policy sso_connections_mac_upgrade_jobs on sso_connections_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on sso_connections_mac_upgrade to parapet_app;

-- sso_domains_route_lookup (0041) already lets the owner read every domain.
create table sso_domains_mac_upgrade as select tenant_id, id, domain, verified_at from sso_domains where verified_at is not null;
alter table sso_domains_mac_upgrade add primary key (tenant_id, id);
alter table sso_domains_mac_upgrade enable row level security;
alter table sso_domains_mac_upgrade force row level security;
create policy sso_domains_mac_upgrade_jobs on sso_domains_mac_upgrade
  using ((select parapet_actor()) = 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
grant select, delete on sso_domains_mac_upgrade to parapet_app;

-- Routing and enforcement return the verification's fields and MAC, so the application checks it
-- (never the verification token). Same arguments and rows as before.
drop function parapet_sso_route(text);
create function parapet_sso_route(address_domain text)
returns table (tenant_id uuid, connection_id uuid, id uuid, domain text, verified_at timestamptz, integrity_mac bytea)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select d.tenant_id, d.connection_id, d.id, d.domain, d.verified_at, d.integrity_mac
    from public.sso_domains d where d.domain operator(pg_catalog.=) address_domain and d.verified_at is not null
$$;
revoke all on function parapet_sso_route(text) from public;
grant execute on function parapet_sso_route(text) to parapet_app;

drop function parapet_sso_enforcement();
create function parapet_sso_enforcement()
returns table (tenant_id uuid, break_glass boolean, domain_id uuid, domain text, verified_at timestamptz, integrity_mac bytea)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  actor uuid := public.parapet_actor();
begin
  if actor is null then
    raise exception 'parapet: needs the user''s verified context' using errcode = '42501';
  end if;
  return query
    select d.tenant_id, actor operator(pg_catalog.=) any (p.break_glass_user_ids), d.id, d.domain, d.verified_at, d.integrity_mac
      from public.users u
      join public.sso_domains d on d.domain operator(pg_catalog.=) pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace(u.email, '^.*@', '')))
      join public.sso_policies p on p.tenant_id operator(pg_catalog.=) d.tenant_id
     where u.id operator(pg_catalog.=) actor and pg_catalog.strpos(u.email, '@') operator(pg_catalog.>) 1
       and d.verified_at is not null and p.require_sso;
end
$$;
revoke all on function parapet_sso_enforcement() from public;
grant execute on function parapet_sso_enforcement() to parapet_app;
