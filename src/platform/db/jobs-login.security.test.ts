// Issue 13, property 4 (TEN-1): jobs that see every tenant run under a login the request path never
// uses. On a PostgreSQL server with the jobs login recorded (as the application records it at start
// when PARAPET_JOBS_DATABASE_URL is set), the tenant-listing functions answer only on that login in
// the verified jobs context: SQL injected into a request — on the parapet_app login — is refused,
// even inside a correctly MAC'd jobs context.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../database.ts';
import { jobsLoginUrl, openTestDatabase, postgresSkipReason, TEST_KEYRING, type TestDatabase } from '../../../test/support/databases.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { openDatabase, type Database } from './connect.ts';
import { createContextSigner } from './context-key.ts';
import { recordJobsLogin, requiredJobsLogin } from './jobs-login.ts';
import { createTransactor } from './transactor.ts';

const skip = await postgresSkipReason();
const LISTING = ['parapet_audit_tenants', 'parapet_audit_unsigned_tenants', 'parapet_key_tenants', 'parapet_lifecycle_tenants', 'parapet_unnotified_organization_deletions'];
const list = (name: string) => sql.raw(`select * from ${name}()`);

peerSuite('jobs list tenants on their own login, which requests never use (issue 13, property 4, TEN-1)', skip, () => {
  let database: TestDatabase;
  let withJobsLogin: Database<DB>;
  let client: pg.Client;
  const signer = createContextSigner(TEST_KEYRING.derive('tenant-context-mac'));

  before(async () => {
    database = await openTestDatabase('postgres');
    const urls = database.urls;
    assert.ok(urls !== undefined);
    const jobsUrl = await jobsLoginUrl(database);
    withJobsLogin = await openDatabase<DB>({ url: urls.app, migrationUrl: urls.owner, jobsUrl, dataDir: tmpdir(), poolSize: 2 });
    assert.equal(await recordJobsLogin(withJobsLogin, jobsUrl), 'parapet_jobs');
    client = new pg.Client({ connectionString: urls.app });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await withJobsLogin.close();
    await database.close();
  });

  it('the jobs login is not a superuser, cannot bypass RLS and inherits nothing', async () => {
    const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean; rolinherit: boolean }>("select rolsuper, rolbypassrls, rolinherit from pg_roles where rolname = 'parapet_jobs'");
    assert.deepEqual(rows, [{ rolsuper: false, rolbypassrls: false, rolinherit: false }]);
    assert.equal(await requiredJobsLogin(withJobsLogin), 'parapet_jobs');
  });

  it('the jobs context runs on the jobs login and lists tenants; requests keep the parapet_app login', async () => {
    const transactor = createTransactor(withJobsLogin.app, signer);
    for (const name of LISTING) await transactor.withJobs((tx) => list(name).execute(tx));
    assert.equal((await transactor.withJobs((tx) => sql<{ u: string; c: string }>`select session_user as u, current_user as c`.execute(tx))).rows[0]?.u, 'parapet_jobs');
    assert.deepEqual((await transactor.withPlatform((tx) => sql<{ u: string; c: string }>`select session_user as u, current_user as c`.execute(tx))).rows[0], { u: 'parapet_app', c: 'parapet_app' });
  });

  it('TEN-1: a verified jobs context on the request login (as SQL injected into a request would need) lists no tenant', async () => {
    // The same keyring and a valid jobs-context MAC, but the request pool: session_user is parapet_app.
    const requestPath = createTransactor(database.db.app, signer);
    for (const name of LISTING) await assert.rejects(requestPath.withJobs((tx) => list(name).execute(tx)), /background jobs \(the parapet_jobs login\)/, name);
  });

  it('TEN-1: parapet_app by hand can neither list tenants nor read or change which login jobs need', async () => {
    for (const name of LISTING) await assert.rejects(client.query(`select * from ${name}()`), /background jobs|permission denied/, name);
    await assert.rejects(client.query('select role_name from parapet_private.jobs_login'), /permission denied/);
    await assert.rejects(client.query("update parapet_private.jobs_login set role_name = 'parapet_app'"), /permission denied/);
    await assert.rejects(client.query('delete from parapet_private.jobs_login'), /permission denied/);
    await assert.rejects(client.query('set role parapet_jobs'), /permission denied/);
  });
});
