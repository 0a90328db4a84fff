-- Forced MFA enrolment (issue 3, part 7): at sign-in, a member of an organization whose policy
-- requires MFA, who has no second factor that organization accepts, is told to enrol. Computed
-- outside any tenant through this definer function, like parapet_user_session_limits: it returns
-- only the user's own organizations that require MFA and the methods each accepts.
create function parapet_user_mfa_requirements(target_user uuid)
returns table (organization_id uuid, allowed_mfa_methods text[])
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select p.tenant_id, p.allowed_mfa_methods
  from public.memberships m join public.organization_security_policies p on p.tenant_id = m.tenant_id
  where m.user_id = target_user and p.mfa_required
  order by p.tenant_id
$$;
revoke all on function parapet_user_mfa_requirements(uuid) from public;
grant execute on function parapet_user_mfa_requirements(uuid) to parapet_app;
