-- Per-organization security policy (AUTH-9, docs/security-policy.md): MFA required and which
-- methods count, session timeouts, and a network allowlist applied to every request to the
-- organization's routes. No row means every default. Tenant-owned, with forced row-level security;
-- the access snapshot reads it, so it costs nothing per request.
create table organization_security_policies (
  tenant_id uuid primary key references organizations(id) on delete cascade,
  mfa_required boolean not null default false,
  allowed_mfa_methods text[] not null default array['totp', 'webauthn']
    check (cardinality(allowed_mfa_methods) between 1 and 2 and allowed_mfa_methods <@ array['totp', 'webauthn']),
  session_idle_minutes integer check (session_idle_minutes between 5 and 1440),
  session_absolute_hours integer check (session_absolute_hours between 1 and 720),
  ip_allowlist text[] not null default '{}' check (cardinality(ip_allowlist) <= 100),
  updated_by uuid,
  updated_at timestamptz not null
);

alter table organization_security_policies enable row level security;
alter table organization_security_policies force row level security;
create policy organization_security_policies_isolation on organization_security_policies
  using (tenant_id = (select parapet_tenant())) with check (tenant_id = (select parapet_tenant()));
grant select, insert, update on organization_security_policies to parapet_app;

-- A session's timeouts are the strictest of the organizations its user belongs to. Computed at
-- sign-in, outside any tenant, through this definer function: it returns two numbers and nothing
-- else about the user's organizations.
create policy memberships_session_limits on memberships for select to parapet_owner using (true);
create policy organization_security_policies_session_limits on organization_security_policies for select to parapet_owner using (true);

create function parapet_user_session_limits(target_user uuid, out idle_minutes integer, out absolute_hours integer)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select min(p.session_idle_minutes), min(p.session_absolute_hours)
  from public.memberships m join public.organization_security_policies p on p.tenant_id = m.tenant_id
  where m.user_id = target_user
$$;
revoke all on function parapet_user_session_limits(uuid) from public;
grant execute on function parapet_user_session_limits(uuid) to parapet_app;
