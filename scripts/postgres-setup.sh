#!/usr/bin/env bash
# Prepares a PostgreSQL server for Parapet: the three roles and a database owned by parapet_owner.
#   PARAPET_PG_ADMIN_URL  superuser URL   (default postgres://postgres@127.0.0.1:5432/postgres)
#   PARAPET_PG_DATABASE   database name   (default parapet)
#   PARAPET_OWNER_PASSWORD / PARAPET_APP_PASSWORD / PARAPET_JOBS_PASSWORD  optional passwords for the logins
# parapet_jobs is the login background jobs list tenants on (PARAPET_JOBS_DATABASE_URL; issue 13):
# requests never use it. It is a member of parapet_app only so that its transactions can SET ROLE
# parapet_app; NOINHERIT, it holds no privilege of its own.
# Idempotent: existing roles are altered back to the attributes Parapet relies on.
set -euo pipefail
admin=${PARAPET_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
database=${PARAPET_PG_DATABASE:-parapet}
[[ "$database" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "invalid database name: $database" >&2; exit 1; }

psql "$admin" -v ON_ERROR_STOP=1 -q \
  -v owner_password="${PARAPET_OWNER_PASSWORD:-}" -v app_password="${PARAPET_APP_PASSWORD:-}" -v jobs_password="${PARAPET_JOBS_PASSWORD:-}" <<'SQL'
select not exists (select from pg_roles where rolname = 'parapet_owner') as create_owner \gset
\if :create_owner
  create role parapet_owner login;
\endif
select not exists (select from pg_roles where rolname = 'parapet_app') as create_app \gset
\if :create_app
  create role parapet_app login;
\endif
select not exists (select from pg_roles where rolname = 'parapet_jobs') as create_jobs \gset
\if :create_jobs
  create role parapet_jobs login;
\endif
-- The application role must never be able to bypass row-level security or own objects.
alter role parapet_app login nosuperuser nobypassrls noinherit nocreatedb nocreaterole noreplication;
alter role parapet_jobs login nosuperuser nobypassrls noinherit nocreatedb nocreaterole noreplication;
grant parapet_app to parapet_jobs;
alter role parapet_owner login nosuperuser nobypassrls nocreatedb nocreaterole noreplication;
select :'owner_password' <> '' as set_owner_password \gset
\if :set_owner_password
  alter role parapet_owner password :'owner_password';
\endif
select :'jobs_password' <> '' as set_jobs_password \gset
\if :set_jobs_password
  alter role parapet_jobs password :'jobs_password';
\endif
select :'app_password' <> '' as set_app_password \gset
\if :set_app_password
  alter role parapet_app password :'app_password';
\endif
SQL

if ! psql "$admin" -tAc "select 1 from pg_database where datname = '$database'" | grep -q 1; then
  psql "$admin" -v ON_ERROR_STOP=1 -qc "create database $database owner parapet_owner"
fi
# Issue 13: no temporary tables or functions for the application role (PUBLIC has TEMP by default).
psql "$admin" -v ON_ERROR_STOP=1 -qc "revoke temporary on database $database from public; revoke temporary on database $database from parapet_app"
echo "PostgreSQL ready: database $database, roles parapet_owner (migrations), parapet_app (requests) and parapet_jobs (background jobs)."
