-- Issue 13, property 4: no SECURITY DEFINER function answers about a tenant or user other than the
-- verified context's.
--
-- 1. The jobs context. Background jobs that must see every tenant (audit sequencer, signer and
--    streaming, retention, lifecycle, key maintenance) now enter a verified context whose actor is
--    the reserved id ffffffff-ffff-ffff-ffff-ffffffffffff and whose tenant is empty
--    (`transactor.withJobs`). It is entered through enter_context() like every other context, so it
--    needs a MAC under the keyring's context key, bound to this backend, this transaction and a few
--    seconds: SQL injected as parapet_app cannot enter it, and the request path never asks for it
--    (the transactor refuses the reserved id in withTenant/withActor). The id matches no user, and
--    with no tenant every tenant table's policy shows nothing.
-- 2. The functions that list tenants keep their names and signatures but refuse (42501) outside the
--    jobs context: each body moves to parapet_private (which parapet_app cannot use) and a wrapper
--    checks the context first.
-- 3. parapet_invitation_organizations takes its subject from the verified actor: no arguments, the
--    address is the actor's own.

create function parapet_private.require_jobs_context() returns void
language plpgsql stable
as $$
begin
  if parapet_private.verified_context() operator(pg_catalog.<>) '|ffffffff-ffff-ffff-ffff-ffffffffffff' then
    raise exception 'parapet: this function is for background jobs (verified jobs context)' using errcode = '42501';
  end if;
end
$$;
revoke all on function parapet_private.require_jobs_context() from public;

alter function public.parapet_audit_pending_tenants(integer) set schema parapet_private;
alter function public.parapet_audit_streaming_tenants(integer, timestamptz) set schema parapet_private;
alter function public.parapet_audit_tenants() set schema parapet_private;
alter function public.parapet_audit_unsigned_tenants() set schema parapet_private;
alter function public.parapet_due_organization_deletions(timestamptz) set schema parapet_private;
alter function public.parapet_key_tenants() set schema parapet_private;
alter function public.parapet_lifecycle_tenants() set schema parapet_private;
alter function public.parapet_unnotified_organization_deletions() set schema parapet_private;
revoke all on function parapet_private.parapet_audit_pending_tenants(integer) from public, parapet_app;
revoke all on function parapet_private.parapet_audit_streaming_tenants(integer, timestamptz) from public, parapet_app;
revoke all on function parapet_private.parapet_audit_tenants() from public, parapet_app;
revoke all on function parapet_private.parapet_audit_unsigned_tenants() from public, parapet_app;
revoke all on function parapet_private.parapet_due_organization_deletions(timestamptz) from public, parapet_app;
revoke all on function parapet_private.parapet_key_tenants() from public, parapet_app;
revoke all on function parapet_private.parapet_lifecycle_tenants() from public, parapet_app;
revoke all on function parapet_private.parapet_unnotified_organization_deletions() from public, parapet_app;

create function public.parapet_audit_pending_tenants(max_tenants integer) returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_audit_pending_tenants(max_tenants); end $$;
create function public.parapet_audit_streaming_tenants(max_tenants integer, due_at timestamptz) returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_audit_streaming_tenants(max_tenants, due_at); end $$;
create function public.parapet_audit_tenants() returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_audit_tenants(); end $$;
create function public.parapet_audit_unsigned_tenants() returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_audit_unsigned_tenants(); end $$;
create function public.parapet_due_organization_deletions(at timestamptz) returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_due_organization_deletions(at); end $$;
create function public.parapet_key_tenants() returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_key_tenants(); end $$;
create function public.parapet_lifecycle_tenants() returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_lifecycle_tenants(); end $$;
create function public.parapet_unnotified_organization_deletions() returns setof uuid
language plpgsql stable security definer set search_path = pg_catalog, pg_temp
as $$ begin perform parapet_private.require_jobs_context(); return query select * from parapet_private.parapet_unnotified_organization_deletions(); end $$;

revoke all on function public.parapet_audit_pending_tenants(integer) from public;
revoke all on function public.parapet_audit_streaming_tenants(integer, timestamptz) from public;
revoke all on function public.parapet_audit_tenants() from public;
revoke all on function public.parapet_audit_unsigned_tenants() from public;
revoke all on function public.parapet_due_organization_deletions(timestamptz) from public;
revoke all on function public.parapet_key_tenants() from public;
revoke all on function public.parapet_lifecycle_tenants() from public;
revoke all on function public.parapet_unnotified_organization_deletions() from public;
grant execute on function public.parapet_audit_pending_tenants(integer) to parapet_app;
grant execute on function public.parapet_audit_streaming_tenants(integer, timestamptz) to parapet_app;
grant execute on function public.parapet_audit_tenants() to parapet_app;
grant execute on function public.parapet_audit_unsigned_tenants() to parapet_app;
grant execute on function public.parapet_due_organization_deletions(timestamptz) to parapet_app;
grant execute on function public.parapet_key_tenants() to parapet_app;
grant execute on function public.parapet_lifecycle_tenants() to parapet_app;
grant execute on function public.parapet_unnotified_organization_deletions() to parapet_app;

-- The invitations addressed to, or accepted by, the verified actor: their organizations' ids.
drop function public.parapet_invitation_organizations(text, uuid);
create function public.parapet_invitation_organizations() returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select distinct i.tenant_id
    from public.users u join public.invitations i on i.email_normalized = u.email_normalized or i.accepted_by = u.id
   where u.id = public.parapet_actor()
$$;
revoke all on function public.parapet_invitation_organizations() from public;
grant execute on function public.parapet_invitation_organizations() to parapet_app;
