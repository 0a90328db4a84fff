import { AsyncLocalStorage } from 'node:async_hooks';
// Taken at load: a test that fakes timers later must not stop a held session from being released.
import { setImmediate as immediately } from 'node:timers';
import { messages, parse, protocol, type PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';

/**
 * The transactor's own path to an embedded PGlite session (issue 16): a transaction's statements go
 * to the engine as batches of extended-protocol messages, so that BEGIN, the tenant context and
 * `fn`'s first statement are **one call into PGlite** (one `execProtocolStream`) instead of the four
 * `query()`/`exec()` calls Kysely's PGlite driver makes, each of which is itself six calls (Parse,
 * Describe, Bind, Describe, Execute, Sync).
 *
 * Values are serialized exactly as `PGlite.query` does (its serializers, chosen by the parameter
 * types the server describes for the statement) and rows are parsed by its `parseResults`, so a
 * statement returns the same values on both paths. Each statement text is prepared once as a named
 * statement of the session (one extra call the first time a text is seen; see `prepared`).
 *
 * Exclusivity is PGlite's own: a transaction holds PGlite's transaction mutex from BEGIN to
 * COMMIT, as `PGlite.transaction` does, so `query()`, `exec()` and `transaction()` callers wait,
 * and each call into the engine holds its query mutex.
 *
 * A transaction that only read may be left open when it ends (`leaveOpen`): its COMMIT then goes
 * at the head of the next transactor transaction's first call, or on its own once the event loop
 * turns (setImmediate), whichever comes first — so a read is **one call** into the engine. The
 * session stays held (the mutex is not released) until that COMMIT is sent, so nothing else ever
 * runs inside the open transaction; after 64 take-overs in a row the COMMIT is sent on its own and
 * the mutex released, so `query()` callers waiting on it get their turn.
 */

const serialize = protocol.serialize;
const SYNC = serialize.sync();

/** One statement of a batch. `rows`: describe and return the rows (a Kysely query). */
export interface BatchStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** A statement's outcome in a batch: its result, the error it raised, or skipped after an earlier error. */
export type StatementOutcome = { readonly ok: true; readonly result: QueryResult<unknown>; readonly command: string | undefined } | { readonly ok: false; readonly error: Error } | { readonly ok: false; readonly skipped: true };

/** Statement texts kept prepared per session (the transactor's queries are a few hundred texts). */
const PREPARED_LIMIT = 2_000;
const TRANSACTION_CONTROL = new Set(['begin', 'commit', 'rollback']);

/** A statement text as the session knows it: its server-side name (when kept) and parameter types. */
interface Prepared {
  readonly name: string | undefined;
  readonly types: number[];
}
const MAX_TAKEOVERS = 64;
const COMMIT: BatchStatement = { sql: 'commit', params: [] };

function statementParts(statement: BatchStatement, values: (string | null)[], types: number[] = []): Uint8Array[] {
  return [serialize.parse({ text: statement.sql, types }), serialize.bind({ values }), serialize.describe({ type: 'P' }), serialize.execute({})];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export class PgliteSession {
  /** Uses PGlite's underscore-named public methods (its mutexes, its ready check) as its own query() does. */
  readonly #pglite: PGlite;
  readonly #prepared = new Map<string, Prepared>();
  readonly #current = new AsyncLocalStorage<PgliteTransaction>();
  /** The session held with a read-only transaction left open, its COMMIT not yet sent. */
  #idle: { readonly release: () => void } | undefined;
  #takeovers = 0;
  /** A Kysely whose one connection is the transaction running in the caller's async context. */
  readonly kysely: Kysely<never>;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
    const current = this.#current;
    const driver: Driver = {
      init: () => Promise.resolve(),
      acquireConnection: () => {
        const connection = current.getStore();
        if (connection === undefined) return Promise.reject(new Error('no PGlite transaction is open in this context'));
        return Promise.resolve(connection);
      },
      beginTransaction: () => Promise.reject(new Error('nested transactions are not supported inside a transactor transaction')),
      commitTransaction: () => Promise.reject(new Error('nested transactions are not supported inside a transactor transaction')),
      rollbackTransaction: () => Promise.reject(new Error('nested transactions are not supported inside a transactor transaction')),
      releaseConnection: () => Promise.resolve(),
      destroy: () => Promise.resolve(),
    };
    this.kysely = new Kysely<never>({
      dialect: {
        createAdapter: () => new PGliteAdapter(),
        createDriver: () => driver,
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
  }

  /** Acquires PGlite's transaction mutex; resolves with its release. */
  #acquire(): Promise<() => void> {
    return new Promise((resolve, reject) => {
      this.#pglite
        ._runExclusiveTransaction(
          () =>
            new Promise<void>((release) => {
              resolve(release);
            }),
        )
        .catch(reject);
    });
  }

  /**
   * Runs `fn` holding the session (PGlite's transaction mutex), with `transaction` as the connection
   * of `kysely`. Takes over a session held with a read-only transaction left open: its COMMIT then
   * leads the new transaction's first call.
   */
  async exclusive<T>(fn: (transaction: PgliteTransaction) => Promise<T>): Promise<T> {
    let release: () => void;
    let pendingCommit = false;
    const idle = this.#idle;
    if (idle !== undefined && this.#takeovers < MAX_TAKEOVERS) {
      this.#idle = undefined;
      this.#takeovers++;
      release = idle.release;
      pendingCommit = true;
    } else {
      release = await this.#acquire();
      this.#takeovers = 0;
    }
    const transaction = new PgliteTransaction(this, pendingCommit);
    let leftOpen = false;
    try {
      const value = await this.#current.run(transaction, () => fn(transaction));
      leftOpen = transaction.leftOpen;
      return value;
    } finally {
      if (!leftOpen) {
        // A COMMIT still pending from the transaction taken over (this one sent nothing) goes now.
        await transaction.settlePending().catch(() => undefined);
        release();
      } else {
        const held = { release };
        this.#idle = held;
        immediately(() => {
          if (this.#idle !== held) return;
          this.#idle = undefined;
          void this.exchange(serialize.query(COMMIT.sql))
            .catch(() => undefined)
            .finally(release);
        });
      }
    }
  }

  /** Sends `messages` (ending in Sync) in one call into the engine and returns every backend message. */
  async exchange(message: Uint8Array): Promise<messages.BackendMessage[]> {
    const pglite = this.#pglite;
    await pglite._checkReady();
    return pglite._runExclusiveQuery(() => pglite.execProtocolStream(message, { syncToFs: false, throwOnError: false }));
  }

  async syncToFs(): Promise<void> {
    await this.#pglite.syncToFs();
  }

  /**
   * The prepared statement for `sql`: parsed and described once, on the first use of the text, as
   * a named statement of the session (so later uses skip parsing and, once PostgreSQL keeps a
   * generic plan, planning). Past PREPARED_LIMIT texts, new ones are described but not kept by the
   * server (unnamed, parsed each time). A text that fails to parse is not remembered.
   */
  async prepared(sql: string): Promise<Prepared> {
    const known = this.#prepared.get(sql);
    if (known !== undefined) return known;
    const name = this.#prepared.size < PREPARED_LIMIT ? `parapet_${String(this.#prepared.size + 1)}` : undefined;
    const replies = await this.exchange(concat([serialize.parse({ text: sql, ...(name === undefined ? {} : { name }) }), serialize.describe({ type: 'S', ...(name === undefined ? {} : { name }) }), SYNC]));
    const error = replies.find((m) => m instanceof messages.DatabaseError);
    if (error !== undefined) throw error;
    const statement = { name, types: parse.parseDescribeStatementResults(replies) };
    if (name !== undefined) this.#prepared.set(sql, statement);
    return statement;
  }

  /** Bind, Describe (portal), Execute for one statement (Parse too when unnamed), values serialized as PGlite.query does. */
  async statementMessages(statement: BatchStatement): Promise<Uint8Array[]> {
    // One Query message instead of Parse, Bind, Describe, Execute: the engine's cost goes with messages.
    if (TRANSACTION_CONTROL.has(statement.sql)) return [serialize.query(statement.sql)];
    const { name, types } = await this.prepared(statement.sql);
    const serializers = this.#pglite.serializers;
    const values = statement.params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const oid = types[i];
      const serializer = oid === undefined ? undefined : serializers[oid];
      return serializer !== undefined ? serializer(param) : (param as { toString(): string }).toString();
    });
    if (name === undefined) return statementParts(statement, values, types);
    return [serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({})];
  }

  /**
   * Runs `statements` as one batch (one Sync): each statement's outcome in order. After an error the
   * server skips the rest of the batch, reported as skipped.
   */
  async batch(statements: readonly BatchStatement[], pendingCommit = false): Promise<StatementOutcome[]> {
    const parts: Uint8Array[] = [];
    // The COMMIT of a read-only transaction left open, in its own Sync group: its outcome is not
    // this batch's (it cannot fail for a transaction that only read; if it did, it is dropped).
    if (pendingCommit) parts.push(serialize.query(COMMIT.sql));
    for (const statement of statements) parts.push(...(await this.statementMessages(statement)));
    parts.push(SYNC);
    const replies = await this.exchange(concat(parts));
    const outcomes: StatementOutcome[] = [];
    let bucket: messages.BackendMessage[] = [];
    let skipping = pendingCommit;
    for (const reply of replies) {
      if (skipping) {
        if (reply.name === 'readyForQuery') skipping = false;
        continue;
      }
      if (outcomes.length >= statements.length) break;
      switch (reply.name) {
        case 'commandComplete':
        case 'emptyQuery': {
          bucket.push(reply);
          const result = parse.parseResults(bucket, this.#pglite.parsers, { rowMode: 'object' })[0];
          const affected = result?.affectedRows;
          const rows = result?.rows ?? [];
          outcomes.push({ ok: true, result: affected === undefined ? { rows } : { rows, numAffectedRows: BigInt(affected) }, command: result?.command });
          bucket = [];
          break;
        }
        case 'error': {
          if (!(reply instanceof messages.DatabaseError)) break;
          const error = reply;
          // "cached plan must not change result type" (a table changed under a kept statement):
          // prepared afresh on the text's next use.
          if (error.code === '0A000') this.#prepared.delete(statements[outcomes.length]?.sql ?? '');
          outcomes.push({ ok: false, error });
          bucket = [];
          break;
        }
        case 'rowDescription':
        case 'dataRow':
          bucket.push(reply);
          break;
        default:
          break;
      }
      if (reply.name === 'error') break;
    }
    while (outcomes.length < statements.length) outcomes.push({ ok: false, skipped: true });
    return outcomes;
  }
}

/**
 * One transaction on a PgliteSession. `prelude` (BEGIN and the context) is not sent on its own: it
 * goes in the same call as the first statement, or with COMMIT when `fn` ran none.
 */
export class PgliteTransaction implements DatabaseConnection {
  readonly #session: PgliteSession;
  #prelude: readonly BatchStatement[] = [];
  #check: (outcomes: readonly StatementOutcome[]) => void = () => undefined;
  #sent = false;
  #failure: Error | undefined;
  #pendingCommit: boolean;
  #errored = false;
  #leftOpen = false;

  constructor(session: PgliteSession, pendingCommit: boolean) {
    this.#session = session;
    this.#pendingCommit = pendingCommit;
  }

  /** True when the transaction ended with leaveOpen(): its COMMIT is the session's to send. */
  get leftOpen(): boolean {
    return this.#leftOpen;
  }

  /**
   * Ends a transaction that only read without sending its COMMIT (see PgliteSession). Returns false,
   * leaving nothing open, when it must be committed now instead: nothing was sent yet (the context
   * is then checked with the COMMIT), or a statement failed.
   */
  leaveOpen(): boolean {
    if (this.#failure !== undefined) throw this.#failure;
    if (!this.#sent || this.#errored) return false;
    this.#leftOpen = true;
    return true;
  }

  /** Sends the COMMIT of the transaction taken over if this one never sent anything. */
  async settlePending(): Promise<void> {
    if (!this.#pendingCommit) return;
    this.#pendingCommit = false;
    await this.#session.batch([COMMIT]);
  }

  /** Statements to send ahead of the first one, and a check of their outcomes that throws to fail the transaction. */
  begin(prelude: readonly BatchStatement[], check: (outcomes: readonly StatementOutcome[]) => void): void {
    this.#prelude = prelude;
    this.#check = check;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statement = { sql: compiled.sql, params: compiled.parameters };
    const outcome = (await this.#run([statement]))[0];
    if (outcome === undefined || !outcome.ok) throw outcome !== undefined && 'error' in outcome ? outcome.error : new Error('statement skipped after an earlier error');
    return outcome.result as QueryResult<R>;
  }

  async *streamQuery(): AsyncIterableIterator<never> {
    throw new Error('streaming is not supported on PGlite');
  }

  /** Sends `statements`, with the prelude ahead of them the first time; throws what the prelude's check throws. */
  async #run(statements: readonly BatchStatement[]): Promise<StatementOutcome[]> {
    if (this.#sent) return this.#noting(await this.#session.batch(statements));
    this.#sent = true;
    const pendingCommit = this.#pendingCommit;
    this.#pendingCommit = false;
    const outcomes = this.#noting(await this.#session.batch([...this.#prelude, ...statements], pendingCommit));
    try {
      this.#check(outcomes.slice(0, this.#prelude.length));
    } catch (error) {
      // Kept: COMMIT fails with it too, even if `fn` swallowed its statement's error.
      this.#failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
    return outcomes.slice(this.#prelude.length);
  }

  #noting(outcomes: StatementOutcome[]): StatementOutcome[] {
    if (outcomes.some((outcome) => !outcome.ok)) this.#errored = true;
    return outcomes;
  }

  /**
   * Commits: one call (with the prelude when nothing was sent yet), then a file-system sync when the
   * transaction wrote. Returns the command tag: `ROLLBACK` when an earlier statement had aborted it.
   */
  async commit(wrote: boolean): Promise<string | undefined> {
    if (this.#failure !== undefined) throw this.#failure;
    const outcome = (await this.#run([{ sql: 'commit', params: [] }]))[0];
    if (outcome === undefined || !outcome.ok) throw outcome !== undefined && 'error' in outcome ? outcome.error : new Error('COMMIT skipped after an earlier error');
    if (wrote) await this.#session.syncToFs();
    return outcome.command;
  }

  /** Rolls back what was sent; nothing to do when nothing was. */
  async rollback(): Promise<void> {
    if (!this.#sent) return;
    this.#leftOpen = false;
    await this.#session.batch([{ sql: 'rollback', params: [] }]);
  }
}
