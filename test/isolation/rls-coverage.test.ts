import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PLATFORM_TABLES } from '../../src/schema.ts';
import { inspectTables, isolationViolations } from '../../src/platform/db/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe('row-level security coverage (TEN-1)', () => {
  let database: TestDatabase;
  before(async () => {
    database = await openTestDatabase();
  });
  after(async () => {
    await database.close();
  });

  it('TEN-1: every table with a tenant_id column, and every table not declared platform-level, has RLS enabled and forced with a policy', async () => {
    const tables = await database.db.withOwner(inspectTables);
    assert.ok(tables.some((t) => t.hasTenantId), 'found no tenant tables at all');
    assert.deepEqual(isolationViolations(tables, PLATFORM_TABLES), []);
  });

  it('TEN-1: the check flags a tenant table whose RLS is not forced', async () => {
    const tables = await database.db.withOwner(inspectTables);
    const weakened = tables.map((t) => (t.table === 'projects' ? { ...t, rlsForced: false } : t));
    assert.equal(isolationViolations(weakened, PLATFORM_TABLES).length, 1);
    const undeclared = [...tables, { table: 'new_table', hasTenantId: false, rlsEnabled: false, rlsForced: false, policies: 0 }];
    assert.match(isolationViolations(undeclared, PLATFORM_TABLES).join(), /new_table: is not a declared platform table/);
  });

  it('TEN-1: the check reads the live catalogue: a table created without forced RLS is caught', async () => {
    await database.db.withOwner(async (session) => {
      await session.exec('create table probe_unprotected (tenant_id uuid not null, v text)');
      const violations = isolationViolations(await inspectTables(session), PLATFORM_TABLES);
      assert.match(violations.join(), /probe_unprotected: has tenant_id but RLS is disabled, not forced/);
      await session.exec('drop table probe_unprotected');
    });
  });
});
