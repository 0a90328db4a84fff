-- Organization creation limits (issue 14 part 7): how many organizations the acting user has
-- created and not yet deleted. Organizations are tenant-isolated, so a new organization's
-- transaction cannot see the others; this definer function returns one number, and only for the
-- transaction's own verified actor (parapet_actor()), never for a user named by the caller.
create function parapet_organizations_created_by_actor()
returns integer
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select count(*)::integer from public.organizations o where o.created_by = public.parapet_actor()
$$;
revoke all on function parapet_organizations_created_by_actor() from public;
grant execute on function parapet_organizations_created_by_actor() to parapet_app;
