-- Issue 13, property 4: parapet_sso_enforcement(domain, user) answered, for any e-mail domain and
-- any user id the caller named, which organization enforces SSO there and whether that user is one
-- of its break-glass accounts. It now takes no argument: its subject is the verified actor
-- (parapet_actor(), a context the application enters only after the password or passkey was
-- accepted), the domain is the actor's own address's (after its last '@', as enforcement.ts
-- derived it), and it raises 42501 without a verified actor. Injected SQL can ask only about the
-- user whose request it runs in.
drop function parapet_sso_enforcement(text, uuid);
create function parapet_sso_enforcement() returns table (tenant_id uuid, break_glass boolean)
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
    select d.tenant_id, actor operator(pg_catalog.=) any (p.break_glass_user_ids)
      from public.users u
      join public.sso_domains d on d.domain operator(pg_catalog.=) pg_catalog.lower(pg_catalog.btrim(pg_catalog.regexp_replace(u.email, '^.*@', '')))
      join public.sso_policies p on p.tenant_id operator(pg_catalog.=) d.tenant_id
     where u.id operator(pg_catalog.=) actor and pg_catalog.strpos(u.email, '@') operator(pg_catalog.>) 1
       and d.verified_at is not null and p.require_sso;
end
$$;
revoke all on function parapet_sso_enforcement() from public;
grant execute on function parapet_sso_enforcement() to parapet_app;
