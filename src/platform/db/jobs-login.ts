import type { Database } from './connect.ts';

/** The login background jobs run on when one is configured (scripts/postgres-setup.sh creates it). */
export const JOBS_ROLE = 'parapet_jobs';

/**
 * Issue 13, property 4: records in `parapet_private.jobs_login` (owner login; migration 0097) which
 * login the tenant-listing functions require, or removes the requirement when no jobs URL is
 * configured. `jobsUrl` is the configured PARAPET_JOBS_DATABASE_URL; its user name is the login.
 * Returns the login now required, or undefined.
 */
export async function recordJobsLogin(db: Pick<Database<unknown>, 'withOwner'>, jobsUrl: string | undefined): Promise<string | undefined> {
  const login = jobsUrl === undefined ? undefined : decodeURIComponent(new URL(jobsUrl).username);
  await db.withOwner(async (session) => {
    if (login === undefined || login === '') await session.query('delete from parapet_private.jobs_login');
    else {
      await session.query('insert into parapet_private.jobs_login (id, role_name) values (1, $1) on conflict (id) do update set role_name = excluded.role_name', [login]);
      // The login is NOINHERIT: the statement that sets the role to parapet_app and enters the
      // context is checked as the login itself, so it needs the schema and the function (nothing else).
      const role = `"${login.replaceAll('"', '""')}"`;
      await session.exec(`grant usage on schema parapet_private to ${role};
        grant execute on function parapet_private.enter_context(pg_catalog.text, pg_catalog.int8, pg_catalog.text) to ${role}`);
    }
  });
  return login === '' ? undefined : login;
}

/** The login the tenant-listing functions require, read through the owner login; undefined when none is recorded. */
export async function requiredJobsLogin(db: Pick<Database<unknown>, 'withOwner'>): Promise<string | undefined> {
  return db.withOwner(async (session) => (await session.query<{ role_name: string }>('select role_name from parapet_private.jobs_login where id = 1'))[0]?.role_name);
}
