import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { recordReservation, registerBindingMode, registerJobsDatabase, registerPgliteSession, reportingPool } from './connection-binding.ts';
import { PgliteSession } from './pglite-session.ts';
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
  /**
   * Issue 13, property 4: the login (`parapet_jobs`) the jobs context runs on
   * (`PARAPET_JOBS_DATABASE_URL`); a small pool of its own, never used by requests. Server only.
   */
  readonly jobsUrl?: string | undefined;
  readonly dataDir: string;
  /** Connections in the request pool (`PARAPET_DATABASE_POOL_SIZE`, default 10). */
  readonly poolSize?: number;
  /**
   * A direct connection for LISTEN and leader locks (`PARAPET_DATABASE_LISTEN_URL`) when `url` goes
   * through a transaction-pooling proxy such as PgBouncer, which keeps no session for them. Default: `url`.
   */
  readonly listenUrl?: string | undefined;
  /** Told about every connection error (they are also reported by the statements they fail). */
  readonly onConnectionError?: (error: Error, connection: string) => void;
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
  return openPostgres<DB>(options.url, options);
}

/** Wraps an existing PGlite instance (tests clone one migrated template per suite). */
export function openPglite<DB>(pglite: PGlite): Database<DB> {
  const app = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  // One embedded session: every transaction runs on the same backend pid.
  registerBindingMode(app, 'single');
  // The transactor's transactions go to the engine in batches (one call for BEGIN, context and read).
  registerPgliteSession(app, new PgliteSession(pglite));
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

/** How long opening a server connection may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 5_000;

function openPostgres<DB>(url: string, options: DatabaseOptions): Database<DB> {
  const { migrationUrl, caFile } = options;
  const poolSize = options.poolSize ?? 10;
  const onError = options.onConnectionError ?? (() => undefined);
  // ENC-7: TLS settings come from the URL's sslmode and the CA file, never from node-postgres' own parsing.
  const appConnection = postgresConnectionConfig(url, caFile);
  // LISTEN and session-level advisory locks need a server session of their own, which a
  // transaction-pooling proxy does not give: they use the direct URL when one is configured.
  const sessionConnection = options.listenUrl === undefined ? appConnection : postgresConnectionConfig(options.listenUrl, caFile);
  // A bounded wait for a connection, so requests and /readyz fail (503) while the server is
  // unreachable instead of hanging until it is back.
  // Pipeline mode: the transactor sends BEGIN, the tenant context and the first statement without
  // waiting for each answer (one round trip instead of three). Queries sent one at a time, as Kysely
  // does everywhere else, behave as without it.
  const pool = new pg.Pool({ ...appConnection, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, pipeline: true });
  // A client that loses its connection emits 'error' whether it is idle in the pool or checked out
  // by a transaction; with no listener Node ends the process. The failed query reports the error
  // to its caller, and the pool discards the dead client when it is released (or at once if idle).
  pool.on('error', (error) => {
    onError(error, 'pool');
  });
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      onError(error, 'pool client');
    });
  });
  const app = new Kysely<DB>({ dialect: new PostgresDialect({ pool: reportingPool(pool), onReserveConnection: recordReservation }) });
  // Tenant contexts are bound to the server backend (migration 0028). A direct connection keeps its
  // backend; behind a transaction-pooling proxy (configured with a separate listen URL) it does not.
  const bindingMode = options.listenUrl === undefined || options.listenUrl === url ? 'per-connection' : 'per-transaction';
  registerBindingMode(app, bindingMode);
  let jobs: Kysely<DB> | undefined;
  if (options.jobsUrl !== undefined) {
    // Jobs list tenants a few times a minute: two connections are plenty.
    const jobsPool = new pg.Pool({ ...postgresConnectionConfig(options.jobsUrl, caFile), max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, pipeline: true });
    jobsPool.on('error', (error) => {
      onError(error, 'jobs pool');
    });
    jobsPool.on('connect', (client) => {
      client.on('error', (error) => {
        onError(error, 'jobs pool client');
      });
    });
    jobs = new Kysely<DB>({ dialect: new PostgresDialect({ pool: reportingPool(jobsPool), onReserveConnection: recordReservation }) });
    registerBindingMode(jobs, options.jobsUrl === url || options.listenUrl === undefined ? bindingMode : 'per-transaction');
    registerJobsDatabase(app, jobs);
  }
  const ownerConnection = migrationUrl === undefined ? appConnection : postgresConnectionConfig(migrationUrl, caFile);
  return {
    kind: 'postgres',
    app,
    separateOwnerLogin: migrationUrl !== undefined && migrationUrl !== url,
    withLeaderLock: async (key, fn) => {
      const client = new pg.Client({ ...sessionConnection, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      // Listening from the start and for good: a lost connection emits 'error' more than once
      // (the server's FATAL message, then "Connection terminated unexpectedly").
      let dropped = false;
      let onLost: (() => void) | undefined;
      const lose = (error?: Error) => {
        if (error !== undefined) onError(error, 'leader lock');
        dropped = true;
        onLost?.();
      };
      client.on('error', lose);
      client.on('end', () => {
        lose();
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [key]);
        if (rows[0]?.locked !== true) return false;
        const lost = new Promise<void>((resolve) => {
          onLost = resolve;
          if (dropped) resolve();
        });
        await fn(lost);
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    withOwner: async (fn) => {
      const client = new pg.Client({ ...ownerConnection, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      // A lost connection fails the statement in flight, which reports it; the event must not crash.
      client.on('error', (error) => {
        onError(error, 'owner session');
      });
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
        await client.end().catch(() => undefined);
      }
    },
    listen: (channel, onMessage, onReset) => listenPostgres(sessionConnection, channel, onMessage, onReset, onError),
    close: async () => {
      await app.destroy();
      await jobs?.destroy();
    },
  };
}

/** LISTEN on a dedicated client; after a lost connection, reconnects with backoff and reports a reset. */
async function listenPostgres(
  connection: PostgresConnectionConfig,
  channel: string,
  onMessage: (payload: string) => void,
  onReset: () => void,
  onError: (error: Error, connection: string) => void,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name: ${channel}`);
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client({ ...connection, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    next.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload ?? '');
    });
    // Registered before connecting and never removed: a lost connection emits 'error' more than
    // once, and an unheard 'error' ends the process.
    let listening = false;
    const lost = (error?: Error) => {
      if (error !== undefined) onError(error, 'listen');
      if (!listening || client !== next || stopped) return;
      client = undefined;
      // Notifications sent while the connection is down are lost: caches drop everything now,
      // and again once listening resumes.
      onReset();
      schedule(250);
    };
    next.on('error', lost);
    next.on('end', () => {
      lost();
    });
    try {
      await next.connect();
      await next.query(`listen ${channel}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    listening = true;
    client = next;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
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
