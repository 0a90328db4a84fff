// Databases for the backup tests: the source read with row security bypassed, and a fresh,
// empty, unmigrated restore target of the same kind (a new PGlite, or a new database on the
// PostgreSQL server that is dropped afterwards).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { DB } from '../../database.ts';
import { createServerDatabase, PG_ADMIN_URL, type TestDatabase } from '../../../test/support/databases.ts';
import { openDatabase, openPglite, type Database } from '../db/index.ts';
import { createBackupKeysIfMissing, readBackupKeys, type BackupKeys } from './backup-keys.ts';

/** A URL of the server's superuser for one database (row security does not hide rows from it). */
function adminUrlFor(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The same database, with an owner session that bypasses row security (what `backup create` needs). */
export async function bypassing(t: TestDatabase): Promise<{ db: Database<DB>; close(): Promise<void> }> {
  if (t.urls === undefined) return { db: t.db, close: () => Promise.resolve() };
  const name = new URL(t.urls.app).pathname.slice(1);
  const db = await openDatabase<DB>({ url: t.urls.app, migrationUrl: adminUrlFor(name), dataDir: tmpdir(), poolSize: 1 });
  return { db, close: () => db.close() };
}

export interface RestoreTarget {
  /** The target as `parapet backup restore` opens it: owner login for migrations and the load. */
  readonly db: Database<DB>;
  /** The target as a TestDatabase (for a second app on the restored data). */
  readonly test: TestDatabase;
  /** An owner session that bypasses row security, to compare every row. */
  readonly reader: Database<DB>;
  close(): Promise<void>;
}

/** A fresh, empty, unmigrated database of `kind`. */
export async function emptyTarget(kind: 'pglite' | 'postgres'): Promise<RestoreTarget> {
  if (kind === 'pglite') {
    const db = openPglite<DB>(await PGlite.create());
    const test: TestDatabase = { db, kind, urls: undefined, close: () => db.close() };
    return { db, test, reader: db, close: () => db.close() };
  }
  const created = await createServerDatabase();
  const db = await openDatabase<DB>({ url: created.app, migrationUrl: created.owner, dataDir: tmpdir(), poolSize: 4 });
  const reader = await openDatabase<DB>({ url: created.app, migrationUrl: adminUrlFor(created.name), dataDir: tmpdir(), poolSize: 1 });
  const test: TestDatabase = { db, kind, urls: { app: created.app, owner: created.owner, admin: PG_ADMIN_URL }, close: () => db.close() };
  return {
    db,
    test,
    reader,
    close: async () => {
      await db.close();
      await reader.close();
      await created.drop();
    },
  };
}

/**
 * Every row of every table of schema public, listed from information_schema (not from the backup
 * code), as PostgreSQL's JSON text in a stable order. Migration bookkeeping is compared by name
 * and checksum (its applied_at is the target's own).
 */
export async function everyRow(db: Database<DB>): Promise<Map<string, string[]>> {
  return db.withOwner(async (session) => {
    await session.query(`select set_config('TimeZone', 'UTC', true)`);
    const tables = await session.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`);
    const all = new Map<string, string[]>();
    for (const { name } of tables) {
      const select = name === 'parapet_migrations' ? `select to_json(t)::text as r from (select name, checksum from public.parapet_migrations) t` : `select to_json(t)::text as r from public."${name}" t`;
      // Sorted here, not by the server: collations differ between PGlite and PostgreSQL.
      all.set(name, (await session.query<{ r: string }>(select)).map((row) => row.r).sort());
    }
    return all;
  });
}

/** A fresh backup key file in a temporary folder. */
export function tempBackupKeys(): { keys: BackupKeys; dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-backup-'));
  const path = join(dir, 'backup-keys.json');
  createBackupKeysIfMissing(path, new Date());
  return { keys: readBackupKeys(path), dir, path };
}
