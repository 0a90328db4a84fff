// The load of the append benchmark (bench/audit-append.ts), shared by its PGlite run (one thread)
// and its server run (worker threads, bench/audit-append-worker.ts): writers recording events into
// the inbox, the baseline's plain batched INSERTs, and the sequencer loop with counters.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { AppTransactor, DB } from '../src/database.ts';
import type { AuditEvent } from '../src/modules/audit/audit-event.ts';
import { createAuditRecorder } from '../src/modules/audit/audit-recorder.ts';
import type { AuditEventsTable } from '../src/modules/audit/audit-tables.ts';
import { canonicalJson } from '../src/modules/audit/log/index.ts';
import { startSequencerLoop } from '../src/modules/audit/sequencer-loop.ts';
import { createSequencer, type Sequencer } from '../src/modules/audit/sequencer.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom, uuidv7 } from '../src/platform/crypto/random.ts';
import type { Database } from '../src/platform/db/index.ts';
import { benchEventInput, benchSigner, eventRow, silentLogger } from './audit-support.ts';

/** One writer transaction whose events are followed to their checkpoint. */
export interface CommitSample {
  readonly tenantId: string;
  readonly ids: readonly string[];
  /** Date.now() when the commit was acknowledged. */
  readonly committedAt: number;
}

export interface WriterSettings {
  readonly tenants: readonly string[];
  /** Concurrent writer transactions. */
  readonly writers: number;
  /** Events recorded per writer transaction. */
  readonly batch: number;
  /** Every n-th transaction is sampled for the commit → checkpoint latency (0: none). */
  readonly sampleEvery: number;
  /** First event number (varies the generated events between phases). */
  readonly firstEvent: number;
  /** When set, writers pace themselves to about this many events per second in total. */
  readonly eventsPerSecond?: number;
  /** Record each transaction's events with one `recordMany` INSERT instead of `record` per event (no latency samples). */
  readonly recordMany?: boolean;
}

export interface LoadCounters {
  /** Events committed (writers) or sequenced (sequencer). */
  count: number;
  readonly samples: CommitSample[];
}

/**
 * The subject's writers: `writers` loops, each opening a tenant transaction with `withTenant` and
 * recording `batch` events with `AuditRecorder.record` (one INSERT into audit_inbox each) or, in the
 * variant, `recordMany` (one INSERT for the batch), tenants taken in turn, until `signal` aborts.
 */
export async function runInboxWriters(transactor: AppTransactor, settings: WriterSettings, counters: LoadCounters, signal: AbortSignal): Promise<void> {
  const recorder = createAuditRecorder({ clock: systemClock, random: systemRandom });
  let n = settings.firstEvent;
  let transactions = 0;
  // Paced: each loop starts its k-th transaction at start + k·interval (no catching up after a stall).
  const intervalMs = settings.eventsPerSecond === undefined ? 0 : (1000 * settings.writers * settings.batch) / settings.eventsPerSecond;
  await Promise.all(
    Array.from({ length: settings.writers }, async (_, w) => {
      let due = performance.now() + (intervalMs * w) / settings.writers;
      for (let k = 0; !signal.aborted; k++) {
        if (intervalMs > 0) {
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          due = Math.max(due, performance.now() - intervalMs) + intervalMs;
          if (signal.aborted) break;
        }
        const tenantId = settings.tenants[(w + k * settings.writers) % settings.tenants.length]!;
        const ids: string[] = [];
        if (settings.recordMany === true) {
          const inputs = Array.from({ length: settings.batch }, () => benchEventInput(n++));
          await transactor.withTenant(tenantId, (tx) => recorder.recordMany(tx, tenantId, inputs));
        } else {
          await transactor.withTenant(tenantId, async (tx) => {
            for (let i = 0; i < settings.batch; i++) ids.push(await recorder.record(tx, tenantId, benchEventInput(n++)));
          });
        }
        counters.count += settings.batch;
        if (settings.sampleEvery > 0 && ids.length > 0 && transactions++ % settings.sampleEvery === 0) counters.samples.push({ tenantId, ids, committedAt: Date.now() });
        // PGlite answers without returning to the event loop; without this, timers never fire.
        await yieldToEventLoop();
      }
    }),
  );
}

type PlainDb = Kysely<DB & { audit_events_plain: AuditEventsTable }>;

/**
 * The baseline's writers: the same loops and batch, but each batch is one multi-row INSERT of
 * finished audit_events rows (canonical bytes included, leaf hash left zero) into a plain copy of
 * the table (`audit_events_plain`: same columns, constraints and indexes; no row-level security,
 * no triggers). No inbox, no sequencer, no hashing, no tree, no checkpoints. Each loop owns the
 * tenants `t ≡ w (mod writers)` and numbers their rows from `seqBase`.
 */
export async function runPlainInserts(db: Kysely<DB>, settings: WriterSettings & { seqBase: number }, counters: LoadCounters, signal: AbortSignal): Promise<void> {
  const plain = db.$extendTables<{ audit_events_plain: AuditEventsTable }>() as PlainDb;
  const zeroHash = new Uint8Array(32);
  let n = settings.firstEvent;
  await Promise.all(
    Array.from({ length: settings.writers }, async (_, w) => {
      const owned = settings.tenants.filter((_t, i) => i % settings.writers === w);
      const seqs = owned.map(() => settings.seqBase);
      for (let k = 0; !signal.aborted; k++) {
        const slot = k % owned.length;
        const tenantId = owned[slot]!;
        const now = systemClock.now();
        const rows = [];
        for (let i = 0; i < settings.batch; i++) {
          const input = benchEventInput(n++);
          const event: AuditEvent = {
            v: 1,
            id: uuidv7(systemClock, systemRandom),
            tenant_id: tenantId,
            occurred_at: now.toISOString(),
            actor: input.actor,
            action: input.action,
            targets: input.targets ?? [],
            outcome: input.outcome,
            source: { ip: input.source?.ip ?? null, user_agent: input.source?.user_agent ?? null },
            request_id: input.source?.request_id ?? null,
            metadata: input.metadata ?? {},
            seq: seqs[slot]!++,
            recorded_at: now.toISOString(),
          };
          rows.push(eventRow(event, canonicalJson(event), zeroHash));
        }
        await plain.insertInto('audit_events_plain').values(rows).execute();
        counters.count += settings.batch;
        await yieldToEventLoop();
      }
    }),
  );
}

export interface SequencerCounters extends LoadCounters {
  passes: number;
  passMs: number;
}

/**
 * Starts the production sequencer loop (`startSequencerLoop`: leader lock, `runOnce` until the
 * inbox is empty, 100 ms idle sleep) with the default options, counting what each pass moved.
 * The returned function stops it after a final drain.
 */
export function startCountedSequencer(db: Database<DB>, transactor: AppTransactor, counters: SequencerCounters): () => Promise<void> {
  const sequencer = createSequencer({ transactor, clock: systemClock, signer: benchSigner(), logger: silentLogger });
  const counted: Sequencer = {
    ...sequencer,
    runOnce: async () => {
      const started = performance.now();
      const moved = await sequencer.runOnce();
      counters.passes++;
      counters.passMs += performance.now() - started;
      counters.count += moved;
      return moved;
    },
  };
  return startSequencerLoop({ db, sequencer: counted, logger: silentLogger });
}
