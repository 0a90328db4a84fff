// Worker thread of the server append benchmark (bench/audit-append.ts). Each role stands for a
// node of its own with its own connection pool: `writers` (app nodes recording events), `plain`
// (the baseline's writers) and `sequencer` (the leader node). The main thread asks for counts and
// finally says stop. Every statement the thread sends is counted and timed by kind.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from '../src/database.ts';
import { runInboxWriters, runPlainInserts, startCountedSequencer, type SequencerCounters, type WriterSettings } from './audit-load.ts';
import { openAppConnection } from './audit-support.ts';

export type WorkerRole = 'writers' | 'plain' | 'sequencer';

export interface AppendWorkerData extends WriterSettings {
  readonly role: WorkerRole;
  /** parapet_app URL (writers, sequencer) or the superuser URL (plain). */
  readonly url: string;
  readonly seqBase: number;
}

/** Statements of one kind (their text up to the first parameter or 48 characters): count and total round-trip time. */
export type StatementStats = Map<string, { n: number; ms: number }>;

/** What a worker answers to `count` and, finally, to `stop`. Counters are cumulative since start. */
export interface AppendWorkerReport {
  readonly type: 'ready' | 'count' | 'done';
  readonly count: number;
  readonly at: number;
  /** Share of the time this thread's event loop was busy since the previous report. */
  readonly utilization: number;
  /** CPU time of this thread, microseconds. */
  readonly cpuMicros: number;
  readonly passes: number;
  readonly passMs: number;
  readonly statements: StatementStats;
  readonly samples: SequencerCounters['samples'];
}

/** A statement's kind: its first words, without parameters or values. */
export function statementKind(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/ \(.*$/, '').replace(/ where .*$/, '').slice(0, 48);
}

function countStatements(stats: StatementStats): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function timed(this: unknown, ...args: unknown[]): unknown {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?');
    const started = performance.now();
    const result = original.apply(this, args);
    const done = () => {
      const kind = statementKind(text);
      const entry = stats.get(kind) ?? { n: 0, ms: 0 };
      entry.n++;
      entry.ms += performance.now() - started;
      stats.set(kind, entry);
    };
    if (result instanceof Promise) void result.then(done, done);
    return result;
  };
}

async function main(port: NonNullable<typeof parentPort>, data: AppendWorkerData): Promise<void> {
  const counters: SequencerCounters = { count: 0, samples: [], passes: 0, passMs: 0 };
  const controller = new AbortController();
  const statements: StatementStats = new Map();
  countStatements(statements);
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  const report = (type: AppendWorkerReport['type']): AppendWorkerReport => {
    const elu = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(elu, lastElu);
    lastElu = elu;
    const cpu = process.threadCpuUsage();
    return {
      type,
      count: counters.count,
      at: Date.now(),
      utilization: since.utilization,
      cpuMicros: cpu.user + cpu.system,
      passes: counters.passes,
      passMs: counters.passMs,
      statements,
      samples: type === 'done' ? counters.samples : [],
    };
  };

  let running: Promise<void>;
  let close: () => Promise<void>;
  if (data.role === 'plain') {
    const pool = new pg.Pool({ connectionString: data.url, max: data.writers });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    running = runPlainInserts(db, data, counters, controller.signal);
    close = () => db.destroy();
  } else if (data.role === 'writers') {
    const { db, transactor } = await openAppConnection(data.url, data.writers);
    running = runInboxWriters(transactor, data, counters, controller.signal);
    close = () => db.close();
  } else {
    const { db, transactor } = await openAppConnection(data.url, 2);
    const stopSequencer = startCountedSequencer(db, transactor, counters);
    running = new Promise<void>((resolve) => {
      controller.signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    }).then(stopSequencer);
    close = () => db.close();
  }
  port.on('message', (message: 'count' | 'stop') => {
    if (message === 'count') {
      port.postMessage(report('count'));
      return;
    }
    controller.abort();
    void running.then(close).then(() => {
      port.postMessage(report('done'));
    });
  });
  port.postMessage(report('ready'));
  // A failure rejects here and ends the worker with an error event in the main thread.
  await running;
}

if (parentPort !== null) await main(parentPort, workerData as AppendWorkerData);
