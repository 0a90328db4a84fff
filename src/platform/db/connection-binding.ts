import { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseConnection, Kysely } from 'kysely';
import type pg from 'pg';
import type { PgliteSession } from './pglite-session.ts';

/**
 * How the transactor learns which server backend a transaction runs on, which the tenant
 * context's MAC is bound to (migration 0028):
 * - `per-connection`: a direct server connection keeps its backend for life; the pid is read once
 *   per connection and remembered.
 * - `single`: one embedded PGlite session, one pid.
 * - `per-transaction`: behind a transaction-pooling proxy (PgBouncer) each transaction may land on
 *   another backend, so the pid is read inside every transaction (one more round trip).
 */
export type BindingMode = 'per-connection' | 'single' | 'per-transaction';

/** Where a transactor opened on a Kysely instance records the connection Kysely reserved for it. */
export interface ReservationSlot {
  connection: DatabaseConnection | undefined;
  /** The server client behind `connection` (pipeline mode), when the pool is one of openDatabase's. */
  client: pg.PoolClient | undefined;
}

/** Set around `db.transaction()` by the transactor; read by the dialect's reserve hook. */
export const reservation = new AsyncLocalStorage<ReservationSlot>();

/** The reserve hook for a pg dialect: tells the transaction being opened which connection it got. */
export function recordReservation(connection: DatabaseConnection): Promise<void> {
  const slot = reservation.getStore();
  if (slot !== undefined) slot.connection = connection;
  return Promise.resolve();
}

/** Where the statements Kysely sends on a client go while a transactor holds it (issue 16). */
export interface StatementRoute {
  query(text: string, values: readonly unknown[]): Promise<pg.QueryResult>;
}

/**
 * What Kysely gets in place of a pooled client: one per client, forwarding to it, except that
 * while a transaction holds the client its text statements go to that transaction's route.
 */
interface RoutedClient {
  route: StatementRoute | undefined;
  readonly client: pg.PoolClient;
  query(...args: unknown[]): unknown;
  release(error?: Error | boolean): void;
  readonly processID: unknown;
}

const routedClients = new WeakMap<pg.PoolClient, RoutedClient>();

function routedClient(client: pg.PoolClient): RoutedClient {
  const known = routedClients.get(client);
  if (known !== undefined) return known;
  const routed: RoutedClient = {
    route: undefined,
    client,
    query(...args: unknown[]): unknown {
      const [text, values] = args;
      const route = routed.route;
      if (route !== undefined && typeof text === 'string') return route.query(text, Array.isArray(values) ? values : []);
      return (client.query as (...args: unknown[]) => unknown)(...args);
    },
    release: (error) => {
      client.release(error);
    },
    get processID(): unknown {
      return (client as { processID?: unknown }).processID;
    },
  };
  routedClients.set(client, routed);
  return routed;
}

/** Sends Kysely's statements on `client` to `route` (a transaction's pipe), or back to the client with undefined. */
export function routeStatements(client: pg.PoolClient, route: StatementRoute | undefined): void {
  routedClient(client).route = route;
}

/**
 * The pool Kysely checks connections out of, reporting each client to the transaction that asked
 * for it. `connect()` resumes in the caller's async context, so the slot is the right one even when
 * the client came from another request's release.
 */
export function reportingPool(pool: pg.Pool): { connect(): Promise<pg.PoolClient>; end(): Promise<void>; readonly options: pg.PoolOptions } {
  return {
    connect: async () => {
      const client = await pool.connect();
      const slot = reservation.getStore();
      if (slot !== undefined) slot.client = client;
      return routedClient(client) as unknown as pg.PoolClient;
    },
    end: () => pool.end(),
    get options() {
      return pool.options;
    },
  };
}

const modes = new WeakMap<object, BindingMode>();

/** Declares how `db` binds contexts (called by openDatabase / openPglite). */
export function registerBindingMode(db: Kysely<never> | object, mode: BindingMode): void {
  modes.set(db, mode);
}

const jobsDatabases = new WeakMap<object, object>();

/**
 * Issue 13, property 4: the pool background jobs list tenants through — a separate login
 * (`parapet_jobs`) the request path never uses (called by openDatabase when a jobs URL is set).
 */
export function registerJobsDatabase(app: object, jobs: object): void {
  jobsDatabases.set(app, jobs);
}

/** The jobs login's query builder registered for `app`, if any. */
export function jobsDatabaseOf<T extends object>(app: T): T | undefined {
  return jobsDatabases.get(app) as T | undefined;
}

/** A Kysely instance not opened by openDatabase reads the pid in every transaction: always right, one round trip more. */
export function bindingModeOf(db: object): BindingMode {
  return modes.get(db) ?? 'per-transaction';
}

const pgliteSessions = new WeakMap<object, PgliteSession>();

/** Declares the embedded session behind `db` (called by openPglite): the transactor sends its transactions there directly. */
export function registerPgliteSession(db: object, session: PgliteSession): void {
  pgliteSessions.set(db, session);
}

/** The embedded session behind `db`, when it was opened by openPglite. */
export function pgliteSessionOf(db: object): PgliteSession | undefined {
  return pgliteSessions.get(db);
}
