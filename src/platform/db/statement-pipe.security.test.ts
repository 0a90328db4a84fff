// withTenant on a PostgreSQL server runs as one implicit transaction of the extended protocol
// (statement-pipe.ts, issue 16): no BEGIN, no COMMIT, one Sync. These tests check that it still
// behaves as a transaction — the context ends with it, a failure or a throw undoes what it wrote —
// and that a connection whose prepared statement failed keeps working. One connection in the pool,
// so every transaction here lands on the backend the previous one used.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../database.ts';
import { postgresSkipReason, TEST_KEYRING, openTestDatabase, type TestDatabase } from '../../../test/support/databases.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { openDatabase, type Database } from './connect.ts';
import { createContextSigner, createTransactor, type Transactor } from './index.ts';

const skip = await postgresSkipReason();

peerSuite('withTenant as one implicit transaction on a PostgreSQL server (issue 16, TEN-1)', skip, () => {
  let database: TestDatabase;
  let single: Database<DB>;
  let transactor: Transactor<DB>;
  const tenantA = crypto.randomUUID();
  const tenantB = crypto.randomUUID();

  async function organizationExists(tenant: string): Promise<boolean> {
    const rows = await transactor.withTenant(tenant, (tx) => tx.selectFrom('organizations').select('id').where('id', '=', tenant).execute());
    return rows.length === 1;
  }

  async function insertOrganization(tx: Parameters<Parameters<Transactor<DB>['withTenant']>[1]>[0], tenant: string): Promise<void> {
    await tx.insertInto('organizations').values({ id: tenant, name: 'org', created_at: new Date(), updated_at: new Date() }).execute();
  }

  before(async () => {
    database = await openTestDatabase('postgres');
    const urls = database.urls;
    if (urls === undefined) throw new Error('a server database has URLs');
    single = await openDatabase<DB>({ url: urls.app, migrationUrl: urls.owner, dataDir: tmpdir(), poolSize: 1 });
    transactor = createTransactor(single.app, createContextSigner(TEST_KEYRING.derive('tenant-context-mac')));
    await transactor.withTenant(tenantA, async (tx) => {
      await insertOrganization(tx, tenantA);
      await tx.insertInto('projects').values({ tenant_id: tenantA, id: crypto.randomUUID(), name: 'secret project', created_at: new Date(), updated_at: new Date() }).execute();
    });
  });
  after(async () => {
    await single.close();
    await database.close();
  });

  it('TEN-1: the context a read entered ends with it: the next statement on the same connection, outside any transactor, sees no context and no row', { timeout: 30_000 }, async () => {
    const rows = await transactor.withTenant(tenantA, (tx) => tx.selectFrom('projects').select('tenant_id').execute());
    assert.deepEqual(rows.map((r) => r.tenant_id), [tenantA]);
    // As SQL injected after the request's transaction would run: the pool's one connection, no context entered.
    const after = await sql<{ context: string | null; projects: number }>`
      select current_setting('parapet.context', true) as context, (select count(*)::int from projects) as projects`.execute(single.app);
    assert.equal(after.rows[0]?.context ?? '', '');
    assert.equal(after.rows[0]?.projects, 0);
  });

  it('TEN-1: a context entered for tenant A is not the context of the next transaction, for tenant B, on the same connection', async () => {
    await transactor.withTenant(tenantA, (tx) => tx.selectFrom('projects').select('id').execute());
    const seen = await transactor.withTenant(tenantB, (tx) => tx.selectFrom('projects').select('tenant_id').execute());
    assert.deepEqual(seen, []);
  });

  it('rolls back what a transaction wrote when its fn throws afterwards', async () => {
    const tenant = crypto.randomUUID();
    await assert.rejects(
      transactor.withTenant(tenant, async (tx) => {
        await insertOrganization(tx, tenant);
        throw new Error('the handler failed after writing');
      }),
      /the handler failed after writing/,
    );
    assert.equal(await organizationExists(tenant), false);
  });

  it('rolls back what a transaction wrote and fails the call when fn swallows the error of a later statement', async () => {
    const tenant = crypto.randomUUID();
    await assert.rejects(
      transactor.withTenant(tenant, async (tx) => {
        await insertOrganization(tx, tenant);
        await insertOrganization(tx, tenant).catch(() => undefined); // duplicate key, swallowed
        return 'done';
      }),
      /aborted by an earlier error and rolled back/,
    );
    assert.equal(await organizationExists(tenant), false);
  });

  it('skips the statements sent after a failed one and reports them as aborted', async () => {
    const codes: (string | undefined)[] = [];
    // The driver's error carries the SQLSTATE as `code`; the skipped statement's ParapetError as `sqlState`.
    const code = (error: { code?: string; sqlState?: string }) => {
      codes.push(error.sqlState ?? error.code);
    };
    await assert.rejects(
      transactor.withTenant(tenantA, async (tx) => {
        await sql`select 1 / 0`.execute(tx).catch(code);
        await sql`select 1`.execute(tx).catch(code);
      }),
      /aborted by an earlier error and rolled back/,
    );
    assert.deepEqual(codes, ['22012', '25P02']);
  });

  it('commits a transaction that wrote, and a later one on the same connection sees it', async () => {
    const tenant = crypto.randomUUID();
    await transactor.withTenant(tenant, (tx) => insertOrganization(tx, tenant));
    assert.equal(await organizationExists(tenant), true);
  });

  it('a statement whose first execution failed, or that did not parse, runs again on the same connection', async () => {
    const divide = (by: number) => transactor.withTenant(tenantA, async (tx) => (await sql<{ q: number }>`select 10 / ${by}::int as q`.execute(tx)).rows[0]?.q);
    await assert.rejects(divide(0), { code: '22012' });
    assert.equal(await divide(2), 5);
    assert.equal(await divide(5), 2);
    await assert.rejects(transactor.withTenant(tenantA, (tx) => sql.raw('selec 1').execute(tx)), { code: '42601' });
    assert.equal(await divide(10), 1);
  });

  it('a prepared select whose table a migration changed fails at most once on a connection, then runs', async () => {
    const read = () => transactor.withTenant(tenantA, (tx) => tx.selectFrom('projects').selectAll().execute());
    assert.equal((await read()).length, 1);
    const owner = new pg.Client({ connectionString: database.urls?.owner });
    await owner.connect();
    try {
      await owner.query('alter table projects add column h16_probe int');
      await read().catch((error: unknown) => {
        assert.match(String((error as { message?: unknown }).message), /cached plan must not change result type/);
      });
      assert.equal((await read()).length, 1);
    } finally {
      await owner.query('alter table projects drop column h16_probe');
      await owner.end();
    }
  });
});
