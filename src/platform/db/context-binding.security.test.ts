// The tenant context's MAC is bound to one server backend and expires within seconds (migration
// 0028). These tests log in as parapet_app, the way SQL injected into a request would run, and try
// to reuse, alter or forge a context. Each was checked to fail with its defence removed (see
// docs/tenancy.md, "Tenant context: binding and cost").
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { postgresSkipReason, TEST_KEYRING, openTestDatabase, type TestDatabase } from '../../../test/support/databases.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { contextMessage, createContextSigner, createTransactor } from './index.ts';

const skip = await postgresSkipReason();
const REFUSED = /tenant context is not authenticated/;

peerSuite('the tenant context MAC is bound to its backend, its transaction and a short expiry (TEN-1)', skip, () => {
  let database: TestDatabase;
  let first: pg.Client;
  let second: pg.Client;
  const tenantA = crypto.randomUUID();
  const tenantB = crypto.randomUUID();
  const signer = createContextSigner(TEST_KEYRING.derive('tenant-context-mac'));

  async function pidOf(client: pg.Client): Promise<number> {
    return (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0;
  }

  /** A MAC as the transactor mints it for `client`'s backend. */
  async function macFor(client: pg.Client, tenant: string, expiresAt = Date.now() + 10_000) {
    const context = `${tenant}|`;
    return { context, expiresAt, mac: signer.sign(contextMessage(context, await pidOf(client), expiresAt)) };
  }

  async function enter(client: pg.Client, bound: { context: string; expiresAt: number; mac: string }): Promise<void> {
    await client.query('select parapet_private.enter_context($1, $2, $3)', [bound.context, bound.expiresAt, bound.mac]);
  }

  async function projectCount(client: pg.Client): Promise<number> {
    return (await client.query<{ n: number }>('select count(*)::int as n from projects')).rows[0]?.n ?? -1;
  }

  before(async () => {
    database = await openTestDatabase('postgres');
    first = new pg.Client({ connectionString: database.urls?.app });
    second = new pg.Client({ connectionString: database.urls?.app });
    await first.connect();
    await second.connect();
    for (const tenant of [tenantA, tenantB]) {
      await first.query('begin');
      await enter(first, await macFor(first, tenant));
      await first.query("insert into organizations (id, name, created_at, updated_at) values ($1, 'org', now(), now())", [tenant]);
      await first.query("insert into projects (tenant_id, id, name, created_at, updated_at) values ($1, gen_random_uuid(), 'secret project', now(), now())", [tenant]);
      await first.query('commit');
    }
  });
  after(async () => {
    await first.end();
    await second.end();
    await database.close();
  });

  it('TEN-1: a context MAC minted for one connection opens its tenant there', async () => {
    await first.query('begin');
    await enter(first, await macFor(first, tenantA));
    assert.equal(await projectCount(first), 1);
    await first.query('rollback');
  });

  it('TEN-1: a context MAC replayed from another connection is refused', async () => {
    const bound = await macFor(first, tenantA);
    await second.query('begin');
    await assert.rejects(enter(second, bound), REFUSED);
    await second.query('rollback');
  });

  it('TEN-1: a context MAC replayed on its own connection after it expired is refused', async () => {
    const bound = await macFor(first, tenantA, Date.now() + 400);
    await first.query('begin');
    await enter(first, bound);
    await first.query('commit');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await first.query('begin');
    await assert.rejects(enter(first, bound), REFUSED);
    await first.query('rollback');
  });

  it('TEN-1: a forged or altered context MAC is refused (other tenant, flipped bit, extended expiry, other key)', async () => {
    const bound = await macFor(first, tenantA);
    const flipped = `${bound.mac.slice(0, -1)}${bound.mac.endsWith('0') ? '1' : '0'}`;
    const otherKey = createContextSigner(Buffer.alloc(32, 9)).sign(contextMessage(bound.context, await pidOf(first), bound.expiresAt));
    for (const forged of [
      { ...bound, context: `${tenantB}|` },
      { ...bound, mac: flipped },
      { ...bound, expiresAt: bound.expiresAt + 60_000 },
      { ...bound, mac: otherKey },
      { ...bound, mac: '0'.repeat(64) },
    ]) {
      await first.query('begin');
      await assert.rejects(enter(first, forged), REFUSED, JSON.stringify({ ...forged, mac: forged.mac.slice(0, 8) }));
      await first.query('rollback');
    }
  });

  it('TEN-1: the MAC is left nowhere SQL can read it after the context is entered', async () => {
    const bound = await macFor(first, tenantA);
    await first.query('begin');
    await enter(first, bound);
    const { rows } = await first.query<{ n: number }>('select count(*)::int as n from pg_settings where setting like $1', [`%${bound.mac}%`]);
    assert.equal(rows[0]?.n, 0);
    const legacy = await first.query<{ mac: string | null }>("select current_setting('parapet.context_mac', true) as mac");
    assert.ok(legacy.rows[0]?.mac === null || legacy.rows[0]?.mac === '');
    await first.query('rollback');
  });

  it("TEN-1: a context entered in one transaction cannot be carried into the next by copying its settings", async () => {
    await first.query('begin');
    await enter(first, await macFor(first, tenantB));
    const copied = (await first.query<{ context: string; binding: string }>("select current_setting('parapet.context') as context, current_setting('parapet.context_binding') as binding")).rows[0];
    await first.query('commit');
    await first.query('begin');
    await first.query("select set_config('parapet.context', $1, true), set_config('parapet.context_binding', $2, true)", [copied?.context, copied?.binding]);
    await assert.rejects(projectCount(first), REFUSED);
    await first.query('rollback');
  });

  it("TEN-1: after entering tenant A, switching the setting to tenant B (with a matching binding value) is refused", async () => {
    await first.query('begin');
    await enter(first, await macFor(first, tenantA));
    await first.query(
      "select set_config('parapet.context', $1, true), set_config('parapet.context_binding', parapet_private.context_binding_of($1)::text, true)",
      [`${tenantB}|`],
    );
    await assert.rejects(projectCount(first), REFUSED);
    await first.query('rollback');
  });

  it('TEN-1: parapet_app cannot set or advance the sequence that records verified contexts', async () => {
    await assert.rejects(first.query("select setval('parapet_private.context_binding', 1)"), /permission denied/);
    await assert.rejects(first.query("select nextval('parapet_private.context_binding')"), /permission denied/);
  });

  it('TEN-1: withTenant with a context MAC under another key fails even when fn swallows the error of its statement', async () => {
    const forger = createTransactor(database.db.app, createContextSigner(Buffer.alloc(32, 9)));
    await assert.rejects(
      forger.withTenant(tenantA, async (tx) => {
        try {
          return await tx.selectFrom('projects').select('id').execute();
        } catch {
          return [];
        }
      }),
      REFUSED,
    );
    const honest = createTransactor(database.db.app, signer);
    const rows = await honest.withTenant(tenantA, (tx) => tx.selectFrom('projects').select('tenant_id').execute());
    assert.deepEqual(rows.map((r) => r.tenant_id), [tenantA]);
  });
});
