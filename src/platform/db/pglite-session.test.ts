import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openTestDatabase, TEST_KEYRING, type TestDatabase } from '../../../test/support/databases.ts';
import type { AppTransactor } from '../../database.ts';
import { createContextSigner, createTransactor } from './index.ts';

// The embedded path of the transactor (issue 16, pglite-session.ts): BEGIN, context and the first
// statement in one call; a read-only transaction's COMMIT left to the next call. PGlite only.
describe('the transactor on embedded PGlite: one call per read', { skip: process.env['PARAPET_TEST_DB'] === 'postgres' ? 'PGlite only' : false }, () => {
  let database: TestDatabase;
  let transactor: AppTransactor;
  const tenant = randomUUID();
  const now = new Date();

  before(async () => {
    database = await openTestDatabase('pglite');
    transactor = createTransactor(database.db.app, createContextSigner(TEST_KEYRING.derive('tenant-context-mac')));
    await transactor.withTenant(tenant, async (tx) => {
      await tx.insertInto('organizations').values({ id: tenant, name: 'one call', created_by: null, created_at: now, updated_at: now }).execute();
    });
  });
  after(async () => {
    await database.close();
  });

  const readName = () => transactor.withTenant(tenant, (tx) => tx.selectFrom('organizations').select('name').where('id', '=', tenant).executeTakeFirst());

  it('TEN-1: SQL sent outside the transactor right after a read does not run inside the read\u2019s open transaction', async () => {
    assert.equal((await readName())?.name, 'one call');
    // No await between the read and this statement: it must wait for the read's COMMIT.
    const seen = await database.db.withOwner((session) => session.query<{ role: string; context: string | null }>("select current_user as role, current_setting('parapet.context', true) as context"));
    assert.equal(seen[0]?.role, 'postgres');
    assert.ok(seen[0]?.context === null || seen[0].context === '', `the owner session saw the tenant context ${String(seen[0]?.context)}`);
  });

  it('TEN-1: reads back to back each enter their own context, and a write after them commits and is seen', async () => {
    const other = randomUUID();
    await transactor.withTenant(other, async (tx) => {
      await tx.insertInto('organizations').values({ id: other, name: 'other', created_by: null, created_at: now, updated_at: now }).execute();
    });
    for (let i = 0; i < 200; i++) {
      const id = i % 2 === 0 ? tenant : other;
      const rows = await transactor.withTenant(id, (tx) => tx.selectFrom('organizations').select('id').execute());
      assert.deepEqual(rows.map((r) => r.id), [id]);
    }
    await transactor.withTenant(tenant, async (tx) => {
      await tx.updateTable('organizations').set({ name: 'renamed' }).where('id', '=', tenant).execute();
    });
    assert.equal((await readName())?.name, 'renamed');
    const owner = await database.db.withOwner((session) => session.query<{ name: string }>('select name from organizations where id = $1', [tenant]));
    assert.equal(owner[0]?.name, 'renamed');
  });

  it('TEN-1: a context with a MAC under another key is refused, also when fn swallows its statement\u2019s error', async () => {
    const forger = createTransactor(database.db.app, createContextSigner(Buffer.alloc(32, 9)));
    await assert.rejects(
      forger.withTenant(tenant, async (tx) => {
        try {
          await sql`select 1`.execute(tx);
        } catch {
          // swallowed: the transaction must still fail
        }
        return 'accepted';
      }),
      (error: { code?: string }) => error.code === '42501',
    );
    await assert.rejects(
      forger.withTenant(tenant, () => Promise.resolve('no statement')),
      (error: { code?: string }) => error.code === '42501',
    );
    assert.equal((await readName())?.name, 'renamed');
  });

  it('TEN-1: a failed statement rolls its transaction back and leaves the session usable', async () => {
    await assert.rejects(
      transactor.withTenant(tenant, async (tx) => {
        await tx.updateTable('organizations').set({ name: 'half' }).where('id', '=', tenant).execute();
        await sql`select 1/0`.execute(tx);
      }),
      (error: { code?: string }) => error.code === '22012',
    );
    assert.equal((await readName())?.name, 'renamed');
  });
});
