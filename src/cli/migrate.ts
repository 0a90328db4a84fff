import { schemaMigrations } from '../schema.ts';
import type { DB } from '../database.ts';
import { rmSync } from 'node:fs';
import { keyringForDatabase } from '../start.ts';
import { migrate as runMigrations, openDatabase } from '../platform/db/index.ts';
import type { Command } from './context.ts';
import { lockEmbeddedData } from './open-data.ts';

/** `parapet migrate`: applies pending migrations as parapet_owner and exits. */
export const migrate: Command = async ({ config, out, pid }) => {
  const lock = lockEmbeddedData(config, pid);
  const db = await openDatabase<DB>({ url: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, caFile: config.databaseCaFile });
  try {
    const { keyring, created } = await keyringForDatabase(db, config.keyringPath);
    const result = await runMigrations(db, keyring.derive('tenant-context-mac'), schemaMigrations()).catch((error: unknown) => {
      // Nothing written unless the checks pass: a keyring the database refused is not kept.
      if (created) rmSync(config.keyringPath, { force: true });
      throw error;
    });
    out(result.applied.length === 0 ? 'Database is up to date.' : `Applied: ${result.applied.join(', ')}`);
    return 0;
  } finally {
    await db.close();
    lock.release();
  }
};
