import { createHash } from 'node:crypto';
import pg from 'pg';
import { ParapetError } from '../errors.ts';

/**
 * One transaction on a server connection as one implicit transaction of the extended query
 * protocol (issue 16): every statement goes out as Parse/Bind/Describe/Execute followed by Flush,
 * and the transaction ends with one Sync. "If the statements are not inside an explicit
 * transaction block, a Sync … commits them as one implicit transaction; an error rolls back
 * everything since the previous Sync" (PostgreSQL, protocol-flow, Pipelining). So no BEGIN and no
 * COMMIT statement runs on the server, and statements are prepared once per connection.
 *
 * Differences from a BEGIN block, which the transactor's callers must respect: commands that
 * require a transaction block (SAVEPOINT, LOCK TABLE, DECLARE CURSOR, SET LOCAL's warning) are
 * refused by the server; nothing in `src/` sends them.
 */

/** The pg protocol writer of a client (an undocumented but stable part of node-postgres). */
interface ProtocolConnection {
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string }): void;
  close(message: { type: 'S'; name: string }): void;
  flush(): void;
  sync(): void;
  readonly parsedStatements: Record<string, string>;
  readonly submittedNamedStatements: Record<string, string>;
  readonly stream: { cork?: () => void; uncork?: () => void };
}

interface ResultBuilder {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown;
  addRow(row: unknown): void;
  addCommandComplete(message: unknown): void;
}

interface Pending {
  readonly name: string;
  readonly result: ResultBuilder;
  readonly resolve: (result: pg.QueryResult) => void;
  readonly reject: (error: unknown) => void;
  /** Whether this pipe sent the statement's Parse (the server may not have it if the transaction failed). */
  parsedHere?: boolean;
  parseError?: unknown;
}

/** pg's Query, untyped: its handlers are not part of @types/pg, and only a subclass may be pipelined. */
const QueryBase = pg.Query as unknown as new (config: { text: string }) => object;

const prepareValue = (pg as unknown as { utils: { prepareValue: (value: unknown) => unknown } }).utils.prepareValue;
const ResultClass = (pg as unknown as { Result: new (rowMode: undefined, types: unknown) => ResultBuilder }).Result;

/**
 * Statement names by text. A server keeps every statement a connection prepared until the
 * connection closes, so the number of distinct texts prepared is capped; texts beyond the cap go
 * unnamed (parsed and planned each time, as before).
 */
const PREPARED_LIMIT = 500;
const names = new Map<string, string>();
function nameFor(text: string): string {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= PREPARED_LIMIT) return '';
  const name = `parapet_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  names.set(text, name);
  return name;
}

/** Names whose server plan changed result type (a migration altered a table): re-prepared on next use. */
const stale = new WeakMap<ProtocolConnection, Set<string>>();

/** Raised for statements sent after an earlier one failed: the server skipped them. */
/** A statement skipped after an earlier one failed; `sqlState` is what PostgreSQL itself answers then (25P02, in_failed_sql_transaction). */
export class TransactionAbortedError extends ParapetError {
  override readonly name = 'TransactionAbortedError';
  readonly code = 'transaction_aborted';
  readonly sqlState = '25P02';
  constructor(cause: unknown) {
    super('current transaction is aborted, commands ignored until end of transaction block', { cause });
  }
}

/**
 * The transaction's statements, submitted to a pipelined pg client as one "query" that stays the
 * client's active query until the closing Sync's ReadyForQuery. Extends pg's Query because
 * node-postgres refuses any other custom query class in pipeline mode; it writes only complete
 * messages ending in Flush or Sync, so nothing the server answers is left to another query.
 */
export class StatementPipe extends QueryBase {
  #connection: ProtocolConnection | undefined;
  #types: unknown;
  readonly #waiting: { text: string; values: readonly unknown[]; pending: Pending }[] = [];
  readonly #pending: Pending[] = [];
  #failure: unknown;
  #synced = false;
  #settled = false;
  readonly #ended: Promise<void>;
  #resolveEnded!: () => void;
  #rejectEnded!: (error: unknown) => void;

  constructor() {
    super({ text: 'parapet transaction' });
    this.#ended = new Promise<void>((resolve, reject) => {
      this.#resolveEnded = resolve;
      this.#rejectEnded = reject;
    });
    this.#ended.catch(() => undefined);
  }

  /** Whether the pipe has been handed to its client (its first statements are on the wire). */
  get submitted(): boolean {
    return this.#connection !== undefined;
  }

  /** Sends a statement (or queues it until the pipe is submitted); resolves with its result. */
  query(text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    return new Promise<pg.QueryResult>((resolve, reject) => {
      if (this.#synced) {
        reject(new Error('the transaction has ended'));
        return;
      }
      if (this.#failure !== undefined) {
        reject(new TransactionAbortedError(this.#failure));
        return;
      }
      const pending: Pending = { name: nameFor(text), result: new ResultClass(undefined, this.#types), resolve, reject };
      const connection = this.#connection;
      if (connection === undefined) this.#waiting.push({ text, values, pending });
      else {
        connection.stream.cork?.();
        try {
          this.#write(connection, text, values, pending);
          connection.flush();
        } finally {
          connection.stream.uncork?.();
        }
      }
    });
  }

  /**
   * Ends the transaction with Sync: the server commits it, or rolls it back after an error.
   * Resolves once the server confirmed; rejects with the error that aborted it, or with the
   * commit's own error (a deferred constraint).
   */
  end(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) throw new Error('the pipe was never submitted');
    if (!this.#synced) {
      this.#synced = true;
      connection.sync();
      // After an error the server answers the Sync with ReadyForQuery only, and node-postgres no
      // longer routes it to this query: the outcome is already known.
      if (this.#failure !== undefined) this.#settle(this.#failure);
    }
    return this.#ended;
  }

  /**
   * Ends the transaction rolling it back: a ROLLBACK ahead of the Sync aborts the implicit
   * transaction (the server warns that no transaction block is in progress, and rolls back what
   * ran since the last Sync). After an error the Sync alone rolls back.
   */
  async rollback(): Promise<void> {
    if (this.#connection === undefined) return;
    if (!this.#synced && this.#failure === undefined) this.query('rollback', []).catch(() => undefined);
    await this.end().catch(() => undefined);
  }

  /** Whether a statement failed: the server skips the rest and the Sync rolls back. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  #write(connection: ProtocolConnection, text: string, values: readonly unknown[], pending: Pending): void {
    const name = pending.name;
    const staleNames = stale.get(connection);
    if (name !== '' && staleNames?.delete(name) === true) {
      connection.close({ type: 'S', name });
      Reflect.deleteProperty(connection.parsedStatements, name);
      Reflect.deleteProperty(connection.submittedNamedStatements, name);
    }
    if (name === '' || (connection.parsedStatements[name] === undefined && connection.submittedNamedStatements[name] === undefined)) {
      connection.parse({ text, name, types: [] });
      if (name !== '') connection.submittedNamedStatements[name] = text;
      pending.parsedHere = true;
    }
    this.#pending.push(pending);
    connection.bind({ portal: '', statement: name, values, valueMapper: prepareValue });
    connection.describe({ type: 'P', name: '' });
    connection.execute({ portal: '' });
  }

  /** Called by the pg client when this query is written: the statements queued so far go out. */
  submit(connection: ProtocolConnection): Error | null {
    this.#connection = connection;
    this.#types = (this as unknown as { _result: { _types: unknown } })._result._types;
    connection.stream.cork?.();
    try {
      for (const { text, values, pending } of this.#waiting.splice(0)) {
        (pending.result as unknown as { _types: unknown })._types = this.#types;
        this.#write(connection, text, values, pending);
      }
      connection.flush();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.#pending[0]?.result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    const head = this.#pending[0];
    if (head === undefined || head.parseError !== undefined) return;
    try {
      head.result.addRow(head.result.parseRow(message.fields));
    } catch (error) {
      head.parseError = error;
    }
  }

  handleCommandComplete(message: unknown): void {
    const head = this.#pending.shift();
    if (head === undefined) return;
    head.result.addCommandComplete(message);
    if (head.parseError !== undefined) head.reject(head.parseError);
    else head.resolve(head.result as unknown as pg.QueryResult);
  }

  handleEmptyQuery(): void {
    const head = this.#pending.shift();
    head?.resolve(head.result as unknown as pg.QueryResult);
  }

  handlePortalSuspended(): void {
    // Execute is sent without a row limit: the server never suspends a portal.
  }

  /** A server error (the statement at the head failed; the rest were skipped) or a lost connection. */
  handleError(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error;
    const head = this.#pending.shift();
    if (head !== undefined) {
      // A Parse sent in a failed transaction may not have run (skipped, or the failing statement
      // itself); a plan whose result type changed must be prepared again. Either way the name is
      // closed and parsed again on its next use (closing a name the server lacks is no error).
      const replanned = (error as { code?: unknown }).code === '0A000' && /cached plan must not change result type/.test(String((error as { message?: unknown }).message));
      if (head.parsedHere === true || replanned) this.#markStale(head.name);
      head.reject(error);
    }
    for (const skipped of this.#pending.splice(0)) {
      if (skipped.parsedHere === true) this.#markStale(skipped.name);
      skipped.reject(new TransactionAbortedError(error));
    }
    for (const { pending } of this.#waiting.splice(0)) pending.reject(new TransactionAbortedError(error));
    if (this.#synced) this.#settle(error);
  }

  handleReadyForQuery(): void {
    // Every statement was answered (the server answers in order, the Sync last).
    this.#settle(this.#failure);
  }

  #markStale(name: string): void {
    const connection = this.#connection;
    if (name === '' || connection === undefined) return;
    const names = stale.get(connection) ?? new Set<string>();
    names.add(name);
    stale.set(connection, names);
  }

  #settle(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (error === undefined) this.#resolveEnded();
    else this.#rejectEnded(error);
  }
}
