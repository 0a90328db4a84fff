import { ParapetError } from '../platform/errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import type { DB } from '../database.ts';
import { acquireDataLock } from '../platform/db/lock.ts';
import { openDatabase, type Database } from '../platform/db/index.ts';
import type { CliContext } from './context.ts';
import { operatorSocketPaths } from './operator-socket.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Thrown when the embedded database is held by a running `serve` that offers the operator socket:
 * main.ts then sends the whole command to that server, which runs it on its own database.
 */
export class ServerHoldsData extends ParapetError {
  readonly code = 'server_holds_data';
  readonly serverPid: number;
  constructor(serverPid: number) {
    super(`the embedded database is in use by the running server (pid ${serverPid})`);
    this.serverPid = serverPid;
  }
}

/** The pid of a live `serve` holding the embedded data with its operator socket open, if any. */
export function servingPid(config: Config): number | undefined {
  if (config.databaseUrl !== undefined) return undefined;
  let holder: number;
  try {
    holder = Number(readFileSync(join(config.dataDir, 'pglite.lock'), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) return undefined;
  const paths = operatorSocketPaths(config.dataDir);
  return existsSync(paths.socket) && existsSync(paths.token) ? holder : undefined;
}

/** Takes the embedded-database lock when the config uses on-disk PGlite; a no-op otherwise. */
export function lockEmbeddedData(config: Config, pid: number): { release(): void } {
  if (config.databaseUrl !== undefined) return { release: () => undefined };
  return acquireDataLock(join(config.dataDir, 'pglite.lock'), pid, isAlive);
}

/** A database a command opened for itself (or borrowed from the server it runs in), and how to let it go. */
export interface OperatorData {
  readonly db: Database<DB>;
  readonly close: () => Promise<void>;
}

/**
 * Opens the configured database for an operator command: the server's own when the command runs
 * inside it (attached), otherwise its own connection under the embedded-data lock. On embedded
 * PGlite held by a running server, throws `ServerHoldsData` so the command goes to that server.
 */
export async function openOperatorData(context: CliContext, options: { readonly poolSize: number; readonly migrationUrl?: string | undefined }): Promise<OperatorData> {
  if (context.attached !== undefined) return { db: context.attached.db, close: async () => undefined };
  const { config } = context;
  const server = servingPid(config);
  if (server !== undefined && server !== context.pid) throw new ServerHoldsData(server);
  const lock = lockEmbeddedData(config, context.pid);
  try {
    const db = await openDatabase<DB>({ url: config.databaseUrl, migrationUrl: options.migrationUrl ?? config.migrationDatabaseUrl, jobsUrl: config.jobsDatabaseUrl, dataDir: config.dataDir, caFile: config.databaseCaFile, poolSize: options.poolSize });
    return {
      db,
      close: async () => {
        try {
          await db.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
