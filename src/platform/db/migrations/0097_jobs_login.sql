-- Issue 13, property 4 (second half): jobs that see every tenant run under a login the request path
-- never uses. The tenant-listing functions (0054) answer only in the verified jobs context; now,
-- once a jobs login is recorded here, also only when the session's login (session_user, which SQL
-- running as parapet_app cannot change) is that login. SQL injected into a request — which runs on
-- the parapet_app login — cannot list tenants even with a jobs context MAC in hand.
--
-- The row is written by the application at start through the owner login when
-- PARAPET_JOBS_DATABASE_URL is configured (and removed when it is not): src/platform/db/jobs-login.ts.
-- parapet_app can neither read nor write it. The role itself (parapet_jobs: NOSUPERUSER,
-- NOBYPASSRLS, NOINHERIT, a member of parapet_app so its transactions can SET ROLE parapet_app) is
-- created by scripts/postgres-setup.sh: the owner has no CREATEROLE.
create table parapet_private.jobs_login (
  id smallint primary key check (id = 1),
  role_name pg_catalog.name not null
);
revoke all on parapet_private.jobs_login from public;

-- Same name and contract as in 0054; called only from the SECURITY DEFINER wrappers, so it runs as
-- the owner and may read jobs_login.
create or replace function parapet_private.require_jobs_context() returns void
language plpgsql stable
as $$
declare
  required pg_catalog.name;
begin
  if parapet_private.verified_context() operator(pg_catalog.<>) '|ffffffff-ffff-ffff-ffff-ffffffffffff' then
    raise exception 'parapet: this function is for background jobs (verified jobs context)' using errcode = '42501';
  end if;
  select j.role_name into required from parapet_private.jobs_login j where j.id operator(pg_catalog.=) 1;
  if required is not null and session_user operator(pg_catalog.<>) required then
    raise exception 'parapet: this function is for background jobs (the % login)', required using errcode = '42501';
  end if;
end
$$;
revoke all on function parapet_private.require_jobs_context() from public;
