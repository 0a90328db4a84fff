import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { schemaMigrations } from '../../schema.ts';
import { migrate, MigrationError, openPglite } from './index.ts';

const KEY = Buffer.alloc(32, 1);

describe('migrations', () => {
  it('applies every migration once, records checksums, and refuses edits and unknown history', async () => {
    const db = openPglite(await PGlite.create());
    try {
      // Every module's migrations with the platform's, as the app applies them.
      const migrations = schemaMigrations();
      const first = await migrate(db, KEY, migrations);
      assert.deepEqual(first.applied, migrations.map((m) => m.name));
      assert.deepEqual((await migrate(db, KEY, migrations)).applied, []);

      const edited = migrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'f'.repeat(64) } : m));
      await assert.rejects(migrate(db, KEY, edited), (error: Error) => error instanceof MigrationError && /0001_context.sql was edited after it was applied/.test(error.message));

      await assert.rejects(migrate(db, KEY, migrations.slice(0, 1)), /which this version of Parapet does not know/);

      await assert.rejects(migrate(db, Buffer.alloc(32, 2), migrations), /different keyring/);

      const broken = [...migrations, { name: '9999_broken.sql', sql: 'select * from nowhere;', checksum: 'a'.repeat(64) }];
      await assert.rejects(migrate(db, KEY, broken), /migration 9999_broken.sql failed/);
      const names = await db.withOwner((s) => s.query<{ name: string }>('select name from parapet_migrations order by name'));
      assert.deepEqual(names.map((r) => r.name), migrations.map((m) => m.name), 'a failed migration leaves no record');

      const tables = await db.withOwner((s) => s.query<{ owner: string }>("select distinct pg_get_userbyid(relowner) as owner from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'"));
      assert.deepEqual(tables.map((r) => r.owner), ['parapet_owner'], 'tables belong to parapet_owner, not the app role');
    } finally {
      await db.close();
    }
  });
});
