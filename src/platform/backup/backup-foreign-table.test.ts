import { schemaMigrations } from '../../schema.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { seedTenant, settleAudit } from '../../../test/isolation/tenant-fixture.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { postgresSkipReason, TEST_DB_KIND, TEST_KEYRING } from '../../../test/support/databases.ts';
import { systemClock } from '../clock.ts';
import { migrate, openDatabase } from '../db/index.ts';
import { createBackup, type BackupSummary } from './backup-create.ts';
import { bypassing, emptyTarget, tempBackupKeys } from './backup-test-fixture.ts';
import { migratedSchema, restoreBackup, RestoreError, verifyBackup } from './backup-restore.ts';
import { foreignTables, listTables, migrationTables } from './backup-schema.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = TEST_DB_KIND === 'postgres' ? await postgresSkipReason() : false;

peerSuite('backups of a database with a table that is not Parapet\'s', skip, () => {
  let t: TestApp;
  let summary: BackupSummary;
  const { keys, dir } = tempBackupKeys();
  const file = join(dir, 'parapet.backup');

  before(async () => {
    t = await createTestApp();
    const tenant = await seedTenant(t, 'alpha');
    await settleAudit(t, [tenant]);
    // A DBA's scratch table in schema public, with a row.
    await t.database.db.withOwner(async (session) => {
      await session.exec(`create table public.dba_scratch (id int primary key, note text); insert into public.dba_scratch values (1, 'checking something')`);
    });
    const source = await bypassing(t.database);
    try {
      summary = await createBackup({ db: source.db, keys, keyringId: TEST_KEYRING.id, clock: systemClock, path: file, migrations: schemaMigrations() });
    } finally {
      await source.close();
    }
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('DATA-5: create leaves the foreign table out and says so; verify and restore then succeed', { timeout: 120_000 }, async () => {
    const target = await emptyTarget(t.database.kind);
    try {
      const restored = await restoreBackup({ db: target.db, keys, keyringId: TEST_KEYRING.id, contextKey: TEST_KEYRING.derive('tenant-context-mac'), clock: systemClock, path: file, migrations: schemaMigrations() });
      assert.ok(restored.tables.some((table) => table.name === 'projects' && table.rows > 0));
    } finally {
      await target.close();
    }
    assert.deepEqual(summary.skipped, ['dba_scratch']);
    assert.ok(!summary.tables.some((table) => table.name === 'dba_scratch'));
    const verified = await verifyBackup(file, keys, { schema: migratedSchema, migrations: schemaMigrations() });
    assert.equal(verified.schemaChecked, true);
  });

  it('DATA-5: verify refuses a backup that does not fit the schema it would restore into', { timeout: 120_000 }, async () => {
    const withoutProjects = async (migrations: Parameters<typeof migratedSchema>[0]) => (await migratedSchema(migrations)).filter((table) => table.name !== 'projects');
    await assert.rejects(verifyBackup(file, keys, { schema: withoutProjects, migrations: schemaMigrations() }), (error: unknown) => error instanceof RestoreError && /table projects in the backup is not in the schema/.test(error.message));
    const withExtra = async (migrations: Parameters<typeof migratedSchema>[0]) => [...(await migratedSchema(migrations)), { name: 'zz_new', columns: ['id'], primary_key: ['id'] }];
    await assert.rejects(verifyBackup(file, keys, { schema: withExtra, migrations: schemaMigrations() }), /the backup has no table zz_new/);
  });

  it('the migrations\' tables are exactly the public tables of a freshly migrated database', async () => {
    const db = await openDatabase<unknown>({ url: 'memory:', migrationUrl: undefined, dataDir: '' });
    try {
      await migrate(db, randomBytes(32), schemaMigrations());
      const owned = migrationTables(schemaMigrations());
      await db.withOwner(async (session) => {
        assert.deepEqual(await foreignTables(session, owned), [], 'a table the migrations create was not recognized');
        assert.equal((await listTables(session, owned)).length, owned.size, 'a recognized table does not exist');
      });
      assert.ok(owned.size >= 40);
    } finally {
      await db.close();
    }
  });
});
