// On a PostgreSQL server the application logs in as parapet_app. These tests run hand-written
// SQL as that login, the way an attacker with SQL injection would, and show it cannot escape.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { contextMessage, createContextSigner } from '../../src/platform/db/index.ts';
import { createServerDatabase, postgresSkipReason, TEST_KEYRING } from '../support/databases.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { peerSuite } from '../support/peer-suite.ts';

const skip = await postgresSkipReason();

peerSuite('parapet_app on a PostgreSQL server cannot escape row-level security (TEN-1)', skip, () => {
  let database: TestDatabase;
  let client: pg.Client;
  const tenantA = crypto.randomUUID();
  const tenantB = crypto.randomUUID();
  const signer = createContextSigner(TEST_KEYRING.derive('tenant-context-mac'));

  async function enter(tenant: string): Promise<void> {
    await client.query('begin');
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0;
    const expiresAt = Date.now() + 10_000;
    const mac = signer.sign(contextMessage(`${tenant}|`, pid, expiresAt));
    await client.query('select parapet_private.enter_context($1, $2, $3)', [`${tenant}|`, expiresAt, mac]);
  }

  before(async () => {
    database = await openTestDatabase('postgres');
    client = new pg.Client({ connectionString: database.urls?.app });
    await client.connect();
    for (const tenant of [tenantA, tenantB]) {
      await enter(tenant);
      await client.query("insert into organizations (id, name, created_at, updated_at) values ($1, 'org', now(), now())", [tenant]);
      await client.query("insert into projects (tenant_id, id, name, created_at, updated_at) values ($1, gen_random_uuid(), 'secret project', now(), now())", [tenant]);
      await client.query('commit');
    }
  });
  after(async () => {
    await client.end();
    await database.close();
  });

  it('TEN-1: the application login is parapet_app, which is not a superuser, cannot bypass RLS and owns nothing', async () => {
    const { rows } = await client.query<{ user: string; super: boolean; bypass: boolean; owned: number }>(
      `select current_user as user, rolsuper as super, rolbypassrls as bypass,
              (select count(*)::int from pg_class where relowner = r.oid) as owned
         from pg_roles r where rolname = current_user`,
    );
    assert.deepEqual(rows[0], { user: 'parapet_app', super: false, bypass: false, owned: 0 });
  });

  it('TEN-1: SET ROLE parapet_owner is refused', async () => {
    await assert.rejects(client.query('set role parapet_owner'), /permission denied/);
  });

  it('TEN-1: RESET ROLE leaves the session as parapet_app, still subject to RLS', async () => {
    await client.query('reset role');
    const { rows } = await client.query<{ u: string }>('select current_user as u');
    assert.equal(rows[0]?.u, 'parapet_app');
    const count = await client.query<{ n: number }>('select count(*)::int as n from projects');
    assert.equal(count.rows[0]?.n, 0);
  });

  it('TEN-1: disabling or not forcing row-level security is refused', async () => {
    await assert.rejects(client.query('alter table projects disable row level security'), /must be owner/);
    await assert.rejects(client.query('alter table projects no force row level security'), /must be owner/);
    await assert.rejects(client.query('drop policy projects_isolation on projects'), /must be owner/);
  });

  it('TEN-1: turning row_security off makes queries fail rather than bypass policies', async () => {
    await enter(tenantB);
    await client.query('set local row_security = off');
    await assert.rejects(client.query('select * from projects'), /row-level security/);
    await client.query('rollback');
  });

  it("TEN-1: inside tenant B's context, hand-written SQL cannot read tenant A's rows", async () => {
    await enter(tenantB);
    const direct = await client.query('select * from projects where tenant_id = $1', [tenantA]);
    assert.equal(direct.rowCount, 0);
    // Forging the tenant setting without the key's MAC fails loudly.
    await client.query("select set_config('parapet.context', $1, true)", [`${tenantA}|`]);
    await assert.rejects(client.query('select * from projects'), /tenant context is not authenticated/);
    await client.query('rollback');
  });

  it('TEN-1: the context key and the migration history are unreadable to parapet_app', async () => {
    await assert.rejects(client.query('select * from parapet_private.context_key'), /permission denied/);
    await assert.rejects(client.query('select * from parapet_migrations'), /permission denied/);
    await assert.rejects(client.query('create table escape (x int)'), /permission denied/);
  });

  it('TEN-1: a fresh server database can be created for the suite (two roles, owner-owned database)', async () => {
    const extra = await createServerDatabase();
    await extra.drop();
  });
});
