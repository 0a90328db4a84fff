-- Enforced SSO (AUTH-4, issue 18 part 3; docs/sso.md): an organization can require single sign-on
-- for the addresses of its verified domains; named break-glass accounts keep local sign-in.
create table sso_policies (
  tenant_id uuid primary key references organizations(id) on delete cascade,
  require_sso boolean not null default false,
  -- Users who may still sign in with a password or passkey (each such sign-in is audited loudly).
  break_glass_user_ids uuid[] not null default '{}' check (cardinality(break_glass_user_ids) <= 10),
  updated_by uuid,
  updated_at timestamptz not null
);
alter table sso_policies enable row level security;
alter table sso_policies force row level security;
create policy sso_policies_isolation on sso_policies using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update, delete on sso_policies to parapet_app;

-- Before a password or passkey sign-in: does an organization that requires SSO hold this address's
-- domain as verified, and is the user one of its break-glass accounts? Ids and flags only.
create policy sso_policies_enforcement_lookup on sso_policies for select to parapet_owner using (true);
create function parapet_sso_enforcement(address_domain text, account uuid) returns table (tenant_id uuid, break_glass boolean)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select d.tenant_id, account = any (p.break_glass_user_ids)
  from public.sso_domains d join public.sso_policies p on p.tenant_id = d.tenant_id
  where d.domain = address_domain and d.verified_at is not null and p.require_sso
$$;
revoke all on function parapet_sso_enforcement(text, uuid) from public;
grant execute on function parapet_sso_enforcement(text, uuid) to parapet_app;
