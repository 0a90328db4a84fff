import { schemaMigrations } from '../schema.ts';
import type { DB } from '../database.ts';
import { rmSync } from 'node:fs';
import { keyringForDatabase } from '../start.ts';
import { migrate as runMigrations, openDatabase } from '../platform/db/index.ts';
import type { Command } from './context.ts';
import { lockEmbeddedData } from './open-data.ts';
import { recordJobsLogin } from '../platform/db/jobs-login.ts';

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
    // Issue 13, property 4: which login the tenant-listing functions require (as `serve` records it at start).
    if (db.kind === 'postgres' && (db.separateOwnerLogin || config.jobsDatabaseUrl !== undefined)) {
      const login = await recordJobsLogin(db, config.jobsDatabaseUrl);
      out(login === undefined ? 'Background jobs share the request login (PARAPET_JOBS_DATABASE_URL is not set).' : `Background jobs list tenants on the ${login} login.`);
    }
    return 0;
  } finally {
    await db.close();
    lock.release();
  }
};
