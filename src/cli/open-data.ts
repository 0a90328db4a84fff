import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { acquireDataLock } from '../platform/db/lock.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the embedded-database lock when the config uses on-disk PGlite; a no-op otherwise. */
export function lockEmbeddedData(config: Config, pid: number): { release(): void } {
  if (config.databaseUrl !== undefined) return { release: () => undefined };
  return acquireDataLock(join(config.dataDir, 'pglite.lock'), pid, isAlive);
}
