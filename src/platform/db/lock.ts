import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * PGlite data may be opened by one process only. The server holds `<dataDir>/pglite.lock`
 * (containing its pid) while it runs; other commands refuse to open the same data.
 */
export function acquireDataLock(path: string, pid: number, isAlive: (pid: number) => boolean): { release(): void } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(pid));
      closeSync(fd);
      return {
        release: () => {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new Error(`the embedded database is in use by another Parapet process (pid ${holder}); stop it first`);
      }
      unlinkSync(path); // stale lock from a process that died
    }
  }
  throw new Error(`cannot lock ${path}`);
}
