-- Issue 13, property 4 (continued): the per-user definer functions take their subject from the
-- verified actor (parapet_actor(), i.e. a context the application entered with a MAC bound to this
-- backend and transaction), never from an argument. Without a verified actor they raise 42501, so a
-- caller that forgot to enter the user's context fails loudly instead of silently answering with no
-- organization policy. The application enters the user's context only after authenticating them
-- (password, second factor, passkey, session).

drop function public.parapet_user_organizations(uuid);
create function public.parapet_user_organizations() returns setof uuid
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  actor uuid := public.parapet_actor();
begin
  if actor is null then
    raise exception 'parapet: needs the user''s verified context' using errcode = '42501';
  end if;
  return query select m.tenant_id from public.memberships m where m.user_id = actor;
end
$$;
revoke all on function public.parapet_user_organizations() from public;
grant execute on function public.parapet_user_organizations() to parapet_app;

drop function public.parapet_user_session_limits(uuid);
create function public.parapet_user_session_limits(out idle_minutes integer, out absolute_hours integer)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  actor uuid := public.parapet_actor();
begin
  if actor is null then
    raise exception 'parapet: needs the user''s verified context' using errcode = '42501';
  end if;
  select min(p.session_idle_minutes), min(p.session_absolute_hours) into idle_minutes, absolute_hours
    from public.memberships m join public.organization_security_policies p on p.tenant_id = m.tenant_id
   where m.user_id = actor;
end
$$;
revoke all on function public.parapet_user_session_limits() from public;
grant execute on function public.parapet_user_session_limits() to parapet_app;

drop function public.parapet_user_mfa_requirements(uuid);
create function public.parapet_user_mfa_requirements()
returns table (organization_id uuid, allowed_mfa_methods text[])
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
    select p.tenant_id, p.allowed_mfa_methods
      from public.memberships m join public.organization_security_policies p on p.tenant_id = m.tenant_id
     where m.user_id = actor and p.mfa_required
     order by p.tenant_id;
end
$$;
revoke all on function public.parapet_user_mfa_requirements() from public;
grant execute on function public.parapet_user_mfa_requirements() to parapet_app;
