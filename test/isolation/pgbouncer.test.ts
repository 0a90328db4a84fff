// Parapet behind PgBouncer in transaction-pooling mode: requests share a few server connections,
// so the role and tenant context must be per transaction (set_config(…, true)), LISTEN and the
// leader locks must use a direct connection (PARAPET_DATABASE_LISTEN_URL), and the cross-tenant
// suite must pass through the pooler.
import { schemaMigrations } from '../../src/schema.ts';
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import type { DB } from '../../src/database.ts';
import { migrate, openDatabase, type Database } from '../../src/platform/db/index.ts';
import { createTestApp } from '../support/app.ts';
import { createServerDatabase, postgresSkipReason, TEST_KEYRING, type TestDatabase } from '../support/databases.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { startPgbouncer, pgbouncerSkipReason, type Pgbouncer } from '../support/pgbouncer.ts';
import { assertLogoutReachesOtherNode } from '../support/revocation.ts';
import { crossTenantSuite } from './cross-tenant-cases.ts';
import { seedTenant, type TenantFixture } from './tenant-fixture.ts';

const skip = (await postgresSkipReason()) || pgbouncerSkipReason();

peerSuite('PostgreSQL behind PgBouncer in transaction-pooling mode', skip, () => {
  let bouncer: Pgbouncer;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  const opened: Database<DB>[] = [];

  /** A node's database as the configuration would open it: requests through PgBouncer, LISTEN and migrations direct. */
  async function throughPooler(): Promise<TestDatabase> {
    const db = await openDatabase<DB>({ url: bouncer.through(server.app), listenUrl: server.app, migrationUrl: server.owner, dataDir: '/nonexistent', poolSize: 8 });
    opened.push(db);
    return { db, kind: 'postgres', urls: { app: bouncer.through(server.app), owner: server.owner, admin: '' }, close: () => Promise.resolve() };
  }

  before(async () => {
    bouncer = await startPgbouncer({ poolSize: 2 });
    server = await createServerDatabase();
    const direct = await openDatabase<DB>({ url: server.app, migrationUrl: server.owner, dataDir: '/nonexistent', poolSize: 1 });
    try {
      await migrate(direct, TEST_KEYRING.derive('tenant-context-mac'), schemaMigrations());
    } finally {
      await direct.close();
    }
  });

  after(async () => {
    for (const db of opened) await db.close();
    await server.drop();
    await bouncer.stop();
  });

  it('TEN-1: the role and tenant context of one transaction never reach another sharing its server connection', { timeout: 120_000 }, async () => {
    const t = await createTestApp({ database: await throughPooler() });
    try {
      const tenants: TenantFixture[] = [await seedTenant(t, 'x'), await seedTenant(t, 'y')];
      const ids = tenants.map((tenant) => tenant.params['orgId'] ?? '');
      const backends = new Set<number>();
      // 60 concurrent transactions over 2 server connections, alternating tenants.
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const tenant = ids[i % 2] ?? '';
          const seen = await t.transactor.withTenant(tenant, async (tx) => {
            const row = (await sql<{ pid: number; role: string; context: string; orgs: string[] }>`
              select pg_backend_pid() as pid, current_user as role, current_setting('parapet.context', true) as context,
                     array(select id::text from organizations) as orgs`.execute(tx)).rows[0];
            await sql`select pg_sleep(0.01)`.execute(tx);
            return row;
          });
          backends.add(seen?.pid ?? 0);
          assert.equal(seen?.role, 'parapet_app');
          assert.equal(seen?.context, `${tenant}|`);
          assert.deepEqual(seen?.orgs, [tenant], 'a transaction saw another tenant through a shared connection');
        }),
      );
      assert.ok(backends.size <= 2, `PgBouncer should have multiplexed onto 2 server connections, saw ${backends.size}`);
      // Outside any transaction, a statement on the same server connections has no tenant and sees no tenant rows.
      for (let i = 0; i < 10; i++) {
        const row = (await sql<{ context: string | null; orgs: number }>`select current_setting('parapet.context', true) as context, (select count(*)::int from organizations) as orgs`.execute(t.database.db.app)).rows[0];
        assert.ok(row?.context === null || row?.context === '', `context leaked out of a transaction: ${String(row?.context)}`);
        assert.equal(row?.orgs, 0);
      }
    } finally {
      await t.close();
    }
  });

  it('AUTH-5: with LISTEN on the direct URL, a session ended on one node is refused on another within 1 s', { timeout: 120_000 }, async () => {
    const a = await createTestApp({ database: await throughPooler() });
    const b = await createTestApp({ database: await throughPooler() });
    try {
      await assertLogoutReachesOtherNode(a, b);
    } finally {
      await b.close();
      await a.close();
    }
  });

  crossTenantSuite('cross-tenant isolation through PgBouncer (TEN-1, TEN-2)', async () => createTestApp({ database: await throughPooler() }));
});
