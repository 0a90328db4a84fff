import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { postgresConnectionConfig, type PostgresConnectionConfig } from './postgres-tls.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** A connection that runs owner-level work (migrations, bootstrap): plain SQL, no tenant context. */
export interface OwnerSession {
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements. */
  exec(text: string): Promise<void>;
}

/** The database a Parapet process uses, hiding whether it is embedded PGlite or a server. */
export interface Database<DB> {
  readonly kind: DatabaseKind;
  /** Query builder for request work. Use it through a `Transactor`, never bare on tenant tables. */
  readonly app: Kysely<DB>;
  /** True when migrations use a different login than requests (a server with two URLs). */
  readonly separateOwnerLogin: boolean;
  /**
   * Holds a session-level advisory lock on a dedicated connection while `fn` runs; resolves
   * `false` at once if another session holds it. The lock goes when the connection does, so a
   * node that dies hands leadership to the next one.
   */
  withLeaderLock(key: number, fn: (lost: Promise<void>) => Promise<void>): Promise<boolean>;
  /** Runs `fn` in one transaction on a connection with owner rights (for migrations and checks). */
  withOwner<T>(fn: (session: OwnerSession) => Promise<T>): Promise<T>;
  /**
   * Listens on a notification channel (`pg_notify`). On a server this holds a dedicated connection
   * and reconnects after losing it, calling `onReset` each time, since notifications sent while it
   * was away are lost. Returns a function that stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReset: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `undefined`: embedded PGlite under `dataDir`; `memory:`: in-memory PGlite; else a postgres:// URL. */
  readonly url: string | undefined;
  readonly migrationUrl: string | undefined;
  readonly dataDir: string;
  readonly poolSize?: number;
  /** CA bundle verifying the server's certificate (makes sslmode=verify-full the default); see postgres-tls.ts. */
  readonly caFile?: string | undefined;
}

// node-postgres: return int8 and numeric as strings (default), timestamps as Date, bytea as Buffer.

/** Opens the configured database. Nothing is migrated here. */
export async function openDatabase<DB>(options: DatabaseOptions): Promise<Database<DB>> {
  if (options.url === undefined || options.url === 'memory:') {
    let dir: string | undefined;
    if (options.url === undefined) {
      dir = `${options.dataDir}/pgdata`;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    // 16 MB of shared buffers instead of PGlite's 128 MB default: measured ~130 MB less resident
    // memory for an embedded install (docs/benchmarks.md); the data sizes PGlite serves fit.
    const postgresqlconf = ['shared_buffers = 16MB'];
    const pglite = await PGlite.create(dir === undefined ? { postgresqlconf } : { dataDir: dir, postgresqlconf });
    return openPglite<DB>(pglite);
  }
  return openPostgres<DB>(options.url, options.migrationUrl, options.poolSize ?? 10, options.caFile);
}

/** Wraps an existing PGlite instance (tests clone one migrated template per suite). */
export function openPglite<DB>(pglite: PGlite): Database<DB> {
  const app = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return {
    kind: 'pglite',
    app,
    separateOwnerLogin: false,
    // One process owns a PGlite database, so it is always the leader.
    withLeaderLock: async (_key, fn) => {
      await fn(new Promise<void>(() => undefined));
      return true;
    },
    withOwner: (fn) =>
      pglite.transaction(async (tx) =>
        fn({
          query: async <R>(text: string, params: readonly unknown[] = []) => (await tx.query<R>(text, [...params])).rows,
          exec: async (text) => {
            await tx.exec(text);
          },
        }),
      ),
    listen: async (channel, onMessage) => pglite.listen(channel, onMessage),
    close: async () => {
      // Kysely closes PGlite only if it ever used it; close it ourselves otherwise.
      if (!pglite.closed) await pglite.close();
      await app.destroy();
    },
  };
}

function openPostgres<DB>(url: string, migrationUrl: string | undefined, poolSize: number, caFile: string | undefined): Database<DB> {
  // ENC-7: TLS settings come from the URL's sslmode and the CA file, never from node-postgres' own parsing.
  const appConnection = postgresConnectionConfig(url, caFile);
  const pool = new pg.Pool({ ...appConnection, max: poolSize });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const app = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const ownerConnection = migrationUrl === undefined ? appConnection : postgresConnectionConfig(migrationUrl, caFile);
  return {
    kind: 'postgres',
    app,
    separateOwnerLogin: migrationUrl !== undefined && migrationUrl !== url,
    withLeaderLock: async (key, fn) => {
      const client = new pg.Client({ ...appConnection });
      await client.connect();
      try {
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [key]);
        if (rows[0]?.locked !== true) return false;
        const lost = new Promise<void>((resolve) => {
          client.once('error', () => {
            resolve();
          });
          client.once('end', () => {
            resolve();
          });
        });
        await fn(lost);
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    withOwner: async (fn) => {
      const client = new pg.Client({ ...ownerConnection });
      await client.connect();
      try {
        await client.query('begin');
        const session: OwnerSession = {
          query: async <R>(text: string, params: readonly unknown[] = []) =>
            (await client.query(text, [...params])).rows as R[],
          exec: async (text) => {
            await client.query(text);
          },
        };
        const result = await fn(session);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        await client.end();
      }
    },
    listen: (channel, onMessage, onReset) => listenPostgres(appConnection, channel, onMessage, onReset),
    close: async () => {
      await app.destroy();
    },
  };
}

/** LISTEN on a dedicated client; after a lost connection, reconnects with backoff and reports a reset. */
async function listenPostgres(connection: PostgresConnectionConfig, channel: string, onMessage: (payload: string) => void, onReset: () => void): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name: ${channel}`);
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client({ ...connection });
    next.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload ?? '');
    });
    const lost = () => {
      if (client !== next || stopped) return;
      client = undefined;
      onReset();
      schedule(250);
    };
    next.on('error', lost);
    next.on('end', lost);
    await next.connect();
    await next.query(`listen ${channel}`);
    client = next;
  }

  function schedule(delayMs: number): void {
    retry = setTimeout(() => {
      connect().then(
        () => {
          onReset();
        },
        () => {
          schedule(Math.min(delayMs * 2, 5000));
        },
      );
    }, delayMs);
    retry.unref();
  }

  await connect();
  return async () => {
    stopped = true;
    if (retry !== undefined) clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}
