import { ParapetError } from '../errors.ts';
import { sql, type DatabaseConnection, type Kysely, type KyselyPlugin, type RootOperationNode, type Transaction } from 'kysely';
import { bindingModeOf, jobsDatabaseOf, pgliteSessionOf, reservation, routeStatements, type ReservationSlot } from './connection-binding.ts';
import type { BatchStatement, PgliteSession, StatementOutcome } from './pglite-session.ts';
import { createBoundContextSigner, type ContextSigner } from './context-key.ts';
import { StatementPipe } from './statement-pipe.ts';
import type { Submittable } from 'pg';


/** The role every request runs as. Not a superuser, cannot bypass RLS, owns nothing. */
export const APP_ROLE = 'parapet_app';
/** The actor of the verified jobs context (migration 0054): no user has it, and withTenant/withActor refuse it. */
export const JOBS_ACTOR_ID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Raised when a transaction does not run as the app role after setting it (misconfiguration). */
export class ContextError extends ParapetError {
  readonly code = 'tenant_context';
  override readonly name = 'ContextError';
}

/**
 * Opens the transactions requests run in. Each sets the role to parapet_app and enters the
 * authenticated tenant context (tenant id, actor id, and a MAC bound to the server backend and
 * expiring within seconds: migration 0028) in one round trip, checks `current_user`, then runs `fn`.
 * Row-level security enforces the tenant boundary from there.
 */
export interface Transactor<DB> {
  /** Runs `fn` scoped to one tenant; `actorId` is the user acting, when there is one. */
  withTenant<T>(tenantId: string, fn: (tx: Transaction<DB>) => Promise<T>, actorId?: string): Promise<T>;
  /** Runs `fn` as a user with no tenant: only that user's own memberships are visible. */
  withActor<T>(actorId: string, fn: (tx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Runs `fn` with no tenant (platform tables only: users, sessions, setup tokens). */
  withPlatform<T>(fn: (tx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Background jobs only (issue 13, property 4): the verified jobs context (no tenant, the reserved
   * actor JOBS_ACTOR_ID), the only one in which the definer functions that list every tenant answer.
   * The request path never calls it.
   */
  withJobs<T>(fn: (tx: Transaction<DB>) => Promise<T>): Promise<T>;
}

/**
 * Clears `reads.only` when a statement might write or lock: anything but a plain SELECT built with
 * the query builder (raw SQL, INSERT/UPDATE/DELETE, SELECT … FOR UPDATE, a data-modifying WITH).
 */
function readOnlyTracker(reads: { only: boolean }): KyselyPlugin {
  return {
    transformQuery: ({ node }): RootOperationNode => {
      if (node.kind !== 'SelectQueryNode' || node.endModifiers !== undefined || node.with !== undefined) reads.only = false;
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
}

const afterCommitHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `hook` once the transaction `tx` (opened by a transactor) commits; never if it rolls back.
 * For side effects outside the database that must not announce a change that did not happen
 * (publishing to Redis). Hooks run in order; one that throws does not stop the others.
 */
export function afterCommit(tx: Transaction<unknown>, hook: () => void): void {
  const hooks = afterCommitHooks.get(tx);
  if (hooks === undefined) throw new Error('afterCommit needs a transaction opened by the transactor');
  hooks.push(hook);
}

/** Where the transactor writes its trace lines (one per transaction: scope, duration, outcome). */
export interface TransactionLog {
  isLevelEnabled(level: 'trace'): boolean;
  trace(fields: object, message: string): void;
}

export function createTransactor<DB>(db: Kysely<DB>, signer: ContextSigner, log?: TransactionLog): Transactor<DB> {
  // Issue 13, property 4: with a jobs login configured (PARAPET_JOBS_DATABASE_URL), the jobs
  // context runs on its pool, so the tenant-listing functions see session_user parapet_jobs.
  const jobsDb = jobsDatabaseOf(db);
  const jobsTransactor = jobsDb === undefined ? undefined : createTransactor(jobsDb, signer, log);
  const bind = createBoundContextSigner(signer);
  const mode = bindingModeOf(db);
  const embedded = pgliteSessionOf(db);
  // Backend pid per pooled connection (direct server connections keep their backend for life).
  const pids = new WeakMap<DatabaseConnection, number>();
  let singlePid: number | undefined;

  async function backendPid(tx: Transaction<DB>, slot: ReservationSlot): Promise<number> {
    if (mode === 'single' && singlePid !== undefined) return singlePid;
    const connection = slot.connection;
    if (mode === 'per-connection' && connection !== undefined) {
      const known = pids.get(connection);
      if (known !== undefined) return known;
    }
    const row = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0];
    if (row === undefined) throw new ContextError('could not read the backend pid');
    if (mode === 'single') singlePid = row.pid;
    else if (mode === 'per-connection' && connection !== undefined) pids.set(connection, row.pid);
    return row.pid;
  }

  async function enter(tx: Transaction<DB>, slot: ReservationSlot, context: string): Promise<string | undefined> {
    if (context === '|') {
      const result = await sql<{ role: string }>`
        select set_config('role', ${APP_ROLE}, true), set_config('parapet.context', '', true), current_user as role`.execute(tx);
      return result.rows[0]?.role;
    }
    const pid = await backendPid(tx, slot);
    const { expiresAt, mac } = bind(context, pid);
    const result = await sql<{ role: string }>`
      select set_config('role', ${APP_ROLE}, true),
             parapet_private.enter_context(${context}, ${expiresAt}::int8, ${mac}),
             current_user as role`.execute(tx);
    return result.rows[0]?.role;
  }

  const ROLE_SQL = `select set_config('role', $1, true), set_config('parapet.context', '', true), current_user as role`;
  const ENTER_SQL = `select set_config('role', $1, true), parapet_private.enter_context($2, $3::int8, $4), current_user as role`;

  /**
   * A transaction on a direct server connection (issue 16): one implicit transaction of the extended
   * protocol (statement-pipe.ts). The role and the context, then `fn`'s statements, go out as
   * prepared statements each followed by Flush, and one Sync ends it: no BEGIN and no COMMIT run on
   * the server, and the context and `fn`'s first statement leave in one write. The context is bound
   * to this implicit transaction as it was to a BEGIN block (issue 13, property 3: the binding
   * covers the backend pid and transaction_timestamp(), and set_config(…, true) ends at the Sync).
   * The context's answer is always checked before `fn`'s result is returned, so a refused context
   * fails the call even if `fn` swallowed the error of its skipped statement.
   */
  async function runPipelined<T>(slot: ReservationSlot, context: string, fn: (tx: Transaction<DB>) => Promise<T>, hooks: (() => void)[]): Promise<T> {
    return db.connection().execute(async (connection) => {
      const client = slot.client;
      // A direct connection's backend pid, from the server's BackendKeyData at connect time.
      const pid = (client as { processID?: unknown } | undefined)?.processID;
      if (client === undefined || typeof pid !== 'number') throw new ContextError('the pool did not report the connection it checked out');
      const reads = { only: true };
      const tx = connection.withPlugin(readOnlyTracker(reads)) as unknown as Transaction<DB>;
      afterCommitHooks.set(tx, hooks);
      const pipe = new StatementPipe();
      const submit = (): void => {
        if (!pipe.submitted) client.query(pipe as unknown as Submittable);
      };
      const prelude =
        context === '|'
          ? pipe.query(ROLE_SQL, [APP_ROLE])
          : (() => {
              const { expiresAt, mac } = bind(context, pid);
              return pipe.query(ENTER_SQL, [APP_ROLE, context, expiresAt, mac]);
            })();
      prelude.catch(() => undefined);
      // Kysely's connection calls client.query(text, values); while this transaction holds the
      // client (checked out of the pool for it alone), those statements go into the pipe.
      routeStatements(client, {
        query: (text, values) => {
          const sent = pipe.query(text, values);
          submit();
          return sent;
        },
      });
      let value: T | undefined;
      try {
        let failure: { error: unknown } | undefined;
        try {
          value = await fn(tx);
        } catch (error) {
          failure = { error };
        }
        submit();
        const entered = await prelude;
        const role = (entered.rows[0] as { role?: unknown } | undefined)?.role;
        if (role !== APP_ROLE) throw new ContextError(`transaction runs as ${String(role)}, expected ${APP_ROLE}`);
        if (failure !== undefined) throw failure.error;
      } catch (error) {
        // A transaction that only read has nothing to undo: its Sync alone ends it.
        if (reads.only) await pipe.end().catch(() => undefined);
        else await pipe.rollback();
        throw error;
      } finally {
        routeStatements(client, undefined);
      }
      // A transaction that only read has nothing to make durable: its answer goes back now and its
      // Sync completes behind it, ahead of whatever the connection's next user sends.
      if (reads.only && hooks.length === 0) {
        pipe.end().catch(() => undefined);
        return value as T;
      }
      if (pipe.failed) {
        await pipe.end().catch(() => undefined);
        throw new ContextError('the transaction was aborted by an earlier error and rolled back');
      }
      await pipe.end();
      return value as T;
    });
  }

  /**
   * Embedded PGlite (issue 16): BEGIN, the role and the context are sent in the same call into the
   * engine as `fn`'s first statement (see pglite-session.ts); a transaction that wrote sends its
   * COMMIT in one more, one that only read leaves it to the session. A transaction whose `fn` sent
   * nothing sends its context with the COMMIT, so a refused context still fails it.
   */
  async function runEmbedded<T>(session: PgliteSession, context: string, fn: (tx: Transaction<DB>) => Promise<T>, hooks: (() => void)[]): Promise<T> {
    return session.exclusive(async (transaction) => {
      if (singlePid === undefined && context !== '|') {
        const [outcome] = await session.batch([{ sql: 'select pg_backend_pid() as pid', params: [] }]);
        const pid = outcome?.ok === true ? (outcome.result.rows[0] as { pid?: unknown } | undefined)?.pid : undefined;
        if (typeof pid !== 'number') throw new ContextError('could not read the backend pid');
        singlePid = pid;
      }
      const prelude: BatchStatement[] = [{ sql: 'begin', params: [] }];
      if (context === '|') prelude.push({ sql: ROLE_SQL, params: [APP_ROLE] });
      else {
        const { expiresAt, mac } = bind(context, singlePid as number);
        prelude.push({ sql: ENTER_SQL, params: [APP_ROLE, context, expiresAt, mac] });
      }
      transaction.begin(prelude, (outcomes: readonly StatementOutcome[]) => {
        for (const outcome of outcomes) {
          if (!outcome.ok) throw 'error' in outcome ? outcome.error : new ContextError('the tenant context was not entered');
        }
        const entered = outcomes[1];
        const role = entered?.ok === true ? (entered.result.rows[0] as { role?: unknown } | undefined)?.role : undefined;
        if (role !== APP_ROLE) throw new ContextError(`transaction runs as ${String(role)}, expected ${APP_ROLE}`);
      });
      const reads = { only: true };
      return session.kysely.connection().execute(async (connection) => {
        const tx = connection.withPlugin(readOnlyTracker(reads)) as unknown as Transaction<DB>;
        afterCommitHooks.set(tx, hooks);
        let value: T;
        try {
          value = await fn(tx);
          // A transaction that only read is left open: its COMMIT leads the next call into the
          // engine (one call per read on the request path; see pglite-session.ts).
          if (!(reads.only && hooks.length === 0 && transaction.leaveOpen())) {
            const tag = await transaction.commit(!reads.only);
            if (tag === 'ROLLBACK') throw new ContextError('the transaction was aborted by an earlier error and rolled back');
          }
        } catch (error) {
          await transaction.rollback().catch(() => undefined);
          throw error;
        }
        return value;
      });
    });
  }

  async function run<T>(rawTenantId: string, rawActorId: string, fn: (tx: Transaction<DB>) => Promise<T>, jobs = false): Promise<T> {
    const tenantId = rawTenantId.toLowerCase();
    const actorId = rawActorId.toLowerCase();
    if (!jobs && (tenantId === JOBS_ACTOR_ID || actorId === JOBS_ACTOR_ID)) throw new ContextError('the jobs actor id is reserved for withJobs');
    for (const id of [tenantId, actorId]) {
      if (id !== '' && !UUID.test(id)) throw new ContextError(`not a canonical UUID: ${JSON.stringify(id)}`);
    }
    const context = `${tenantId}|${actorId}`;
    const hooks: (() => void)[] = [];
    const traced = log?.isLevelEnabled('trace') === true ? { started: performance.now(), scope: tenantId !== '' ? 'tenant' : actorId !== '' ? 'actor' : 'platform' } : undefined;
    const slot: ReservationSlot = { connection: undefined, client: undefined };
    const transaction = reservation.run(slot, () =>
      mode === 'per-connection'
        ? runPipelined(slot, context, fn, hooks)
        : embedded !== undefined
          ? runEmbedded(embedded, context, fn, hooks)
          : db.transaction().execute(async (tx) => {
        afterCommitHooks.set(tx, hooks);
        const role = await enter(tx, slot, context);
        if (role !== APP_ROLE) throw new ContextError(`transaction runs as ${String(role)}, expected ${APP_ROLE}`);
        return fn(tx);
      }),
    );
    if (traced !== undefined) {
      const fields = { scope: traced.scope, tenant: tenantId === '' ? undefined : tenantId, actor: actorId === '' ? undefined : actorId };
      transaction.then(
        () => {
          log?.trace({ ...fields, ms: Math.round(performance.now() - traced.started) }, 'transaction committed');
        },
        (error: unknown) => {
          log?.trace({ ...fields, ms: Math.round(performance.now() - traced.started), code: (error as { code?: unknown }).code }, 'transaction rolled back');
        },
      );
    }
    const value = await transaction;
    for (const hook of hooks) {
      try {
        hook();
      } catch {
        // A hook reports its own failures; the transaction has committed either way.
      }
    }
    return value;
  }
  return {
    withTenant: (tenantId, fn, actorId) => run(tenantId, actorId ?? '', fn),
    withActor: (actorId, fn) => run('', actorId, fn),
    withPlatform: (fn) => run('', '', fn),
    withJobs: (fn) => (jobsTransactor === undefined ? run('', JOBS_ACTOR_ID, fn, true) : jobsTransactor.withJobs(fn)),
  };
}
