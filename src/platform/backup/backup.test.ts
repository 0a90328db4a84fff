import { schemaMigrations } from '../../schema.ts';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { seedTenant, settleAudit, type TenantFixture } from '../../../test/isolation/tenant-fixture.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { postgresAvailable, postgresSkipReason, TEST_DB_KIND, TEST_KEYRING } from '../../../test/support/databases.ts';
import { systemClock } from '../clock.ts';
import { createBackup } from './backup-create.ts';
import { bypassing, emptyTarget, everyRow, tempBackupKeys } from './backup-test-fixture.ts';
import { restoreBackup, RestoreError, verifyBackup } from './backup-restore.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = TEST_DB_KIND === 'postgres' ? await postgresSkipReason() : false;
const otherKind = TEST_DB_KIND === 'postgres' ? 'pglite' : (await postgresAvailable()) ? 'postgres' : undefined;

peerSuite('backup create, verify and restore', skip, () => {
  let t: TestApp;
  let tenants: TenantFixture[];
  const { keys, dir } = tempBackupKeys();
  const file = join(dir, 'parapet.backup');

  before(async () => {
    t = await createTestApp();
    tenants = [await seedTenant(t, 'alpha'), await seedTenant(t, 'beta')];
    await settleAudit(t, tenants);
    const source = await bypassing(t.database);
    try {
      await createBackup({ db: source.db, keys, keyringId: TEST_KEYRING.id, clock: systemClock, path: file, migrations: schemaMigrations() });
    } finally {
      await source.close();
    }
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ENC-5 DATA-5 writes the backup with mode 0600 and verifies every table without writing', async () => {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const report = await verifyBackup(file, keys);
    assert.equal(report.header.source.kind, t.database.kind);
    assert.equal(report.header.key.file_id, keys.id);
    assert.ok(report.tables.length >= 20, `only ${report.tables.length} tables`);
    assert.equal(report.tenantKeys.kept, 2);
    assert.equal(report.tenantKeys.shredded, 0);
  });

  it('ENC-5 DATA-5 restores into an empty database, and every table matches the source row by row', async () => {
    const target = await emptyTarget(t.database.kind);
    try {
      const report = await restoreBackup({ db: target.db, keys, keyringId: TEST_KEYRING.id, contextKey: TEST_KEYRING.derive('tenant-context-mac'), clock: systemClock, path: file, migrations: schemaMigrations() });
      assert.ok(report.migrationsApplied.length > 0);
      const source = await bypassing(t.database);
      let expected: Map<string, string[]>;
      try {
        expected = await everyRow(source.db);
      } finally {
        await source.close();
      }
      const actual = await everyRow(target.reader);
      assert.deepEqual([...actual.keys()], [...expected.keys()]);
      const seeded = [...expected.entries()].filter(([, rows]) => rows.length > 0).map(([name]) => name);
      // The fixture seeds every tenant table through the API; the comparison must not be vacuous.
      assert.ok(seeded.length >= 20, `only ${seeded.length} tables have rows`);
      for (const [name, rows] of expected) assert.deepEqual(actual.get(name), rows, `table ${name} differs after restore`);

      // The restored database serves: a second app on it signs a seeded user in and reads a tenant's data.
      const restored = await createTestApp({ database: target.test });
      try {
        const alpha = tenants[0]!;
        const orgId = alpha.params['orgId']!;
        const listed = await restored.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/projects`, headers: { cookie: alpha.cookie } });
        assert.equal(listed.statusCode, 200, listed.body);
      } finally {
        await restored.close();
      }
    } finally {
      await target.close();
    }
  });

  it('DATA-5 restores into the other kind of database (PGlite ⇄ PostgreSQL) with every table equal', { skip: otherKind === undefined ? 'no PostgreSQL server for the cross-kind restore' : false }, async () => {
    const target = await emptyTarget(otherKind ?? 'pglite');
    try {
      await restoreBackup({ db: target.db, keys, keyringId: TEST_KEYRING.id, contextKey: TEST_KEYRING.derive('tenant-context-mac'), clock: systemClock, path: file, migrations: schemaMigrations() });
      const source = await bypassing(t.database);
      let expected: Map<string, string[]>;
      try {
        expected = await everyRow(source.db);
      } finally {
        await source.close();
      }
      const actual = await everyRow(target.reader);
      for (const [name, rows] of expected) assert.deepEqual(actual.get(name), rows, `table ${name} differs after restore`);
    } finally {
      await target.close();
    }
  });

  it('DATA-5 refuses to restore into a database that is not empty', async () => {
    await assert.rejects(
      restoreBackup({ db: t.database.db, keys, keyringId: TEST_KEYRING.id, contextKey: TEST_KEYRING.derive('tenant-context-mac'), clock: systemClock, path: file, migrations: schemaMigrations() }),
      (error: unknown) => error instanceof RestoreError && /not empty/.test(error.message),
    );
  });
});
