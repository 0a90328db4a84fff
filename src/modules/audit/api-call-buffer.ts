import { sql } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AppTransactor } from '../../database.ts';
import type { AuditEventInput } from './audit-event.ts';
import type { AuditRecorder } from './audit-recorder.ts';
import type { RecordingLossReason } from './audit-tables.ts';

/**
 * Collects `api.request` events and writes them in one transaction per tenant (one multi-row
 * insert), outside the request, instead of a transaction per request.
 *
 * Two classes, by the durability rule of AUD-1 (issue 15 part 5):
 * - `add` (read calls, and calls that failed): buffered for up to `flushMs`, or until `batchSize`
 *   accumulate. `add` never does I/O. A crash can lose at most the last `flushMs` of these, and at
 *   most `maxQueued`; past that bound further calls are dropped rather than holding memory without
 *   limit. Every record the buffer knows it lost (buffer full, or a batch the database refused) is
 *   counted durably in `audit_recording_losses` and on `/metrics`.
 * - `addDurable` (state-changing calls that succeeded): resolves only once the record is committed,
 *   so the caller answers after it; records arriving while a write is in flight share the next
 *   transaction (group commit). Never dropped; a failed write rejects, and the caller must not
 *   acknowledge the call.
 */
export interface ApiCallBuffer {
  add(tenantId: string, input: AuditEventInput): void;
  /** Resolves once the record is committed in the tenant's inbox; rejects if it could not be. */
  addDurable(tenantId: string, input: AuditEventInput): Promise<void>;
  /** Writes everything collected so far; resolves when it and every earlier write are done. */
  flush(): Promise<void>;
  /** Stops the timer after a final flush. */
  close(): Promise<void>;
  /** Events accepted and not yet written (or failed). */
  readonly queued: number;
  /** Events refused since start because `maxQueued` were waiting. */
  readonly dropped: number;
}

/** The durable loss counters (all nodes, since the database was created), by reason. */
export async function recordingLosses(transactor: AppTransactor): Promise<Record<RecordingLossReason, number>> {
  const rows = await transactor.withPlatform((tx) => tx.selectFrom('audit_recording_losses').select(['reason', 'events']).execute());
  const totals: Record<RecordingLossReason, number> = { buffer_full: 0, write_failed: 0 };
  for (const row of rows) totals[row.reason] = Number(row.events);
  return totals;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export function createApiCallBuffer(deps: {
  transactor: AppTransactor;
  recorder: AuditRecorder;
  logger: Pick<Logger, 'error' | 'warn'>;
  /** Where to export the queue depth and the drop count; none in unit tests. */
  registry?: Registry;
  flushMs?: number;
  batchSize?: number;
  maxQueued?: number;
}): ApiCallBuffer {
  const flushMs = deps.flushMs ?? 100;
  const batchSize = deps.batchSize ?? 500;
  const maxQueued = deps.maxQueued ?? 20_000;
  let pending = new Map<string, AuditEventInput[]>();
  let collected = 0;
  let queued = 0;
  let dropped = 0;
  let overflowing = false;
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  /** Losses counted here and not yet added to `audit_recording_losses`. */
  const unsaved: Record<RecordingLossReason, number> = { buffer_full: 0, write_failed: 0 };
  let saving: Promise<void> | undefined;

  let durable = new Map<string, { inputs: AuditEventInput[]; waiters: Waiter[] }>();
  let durableWriting: Promise<void> | undefined;

  const lostCounter =
    deps.registry === undefined
      ? undefined
      : new Counter({ name: 'parapet_audit_api_calls_dropped_total', help: 'api.request audit events this node could not write since it started (buffer full, or the database refused the batch); the durable total is parapet_audit_api_calls_lost_total.', registers: [deps.registry] });
  if (deps.registry !== undefined) {
    new Gauge({
      name: 'parapet_audit_api_calls_queued',
      help: 'api.request audit events collected or being written, not yet in the audit inbox.',
      registers: [deps.registry],
      collect() {
        this.set(queued);
      },
    });
  }

  function lose(reason: RecordingLossReason, events: number): void {
    unsaved[reason] += events;
    lostCounter?.inc(events);
  }

  /** Adds the losses counted so far to the durable counters; keeps them for the next try if that fails. */
  function saveLosses(): Promise<void> {
    if (saving !== undefined) return saving;
    const batch = (Object.entries(unsaved) as [RecordingLossReason, number][]).filter(([, events]) => events > 0);
    if (batch.length === 0) return Promise.resolve();
    for (const [reason] of batch) unsaved[reason] = 0;
    saving = deps.transactor
      .withPlatform(async (tx) => {
        for (const [reason, events] of batch) {
          await sql`insert into audit_recording_losses (reason, events, last_lost_at) values (${reason}, ${events}, now())
            on conflict (reason) do update set events = audit_recording_losses.events + excluded.events, last_lost_at = excluded.last_lost_at`.execute(tx);
        }
      })
      .catch((error: unknown) => {
        for (const [reason, events] of batch) unsaved[reason] += events;
        deps.logger.error({ err: error }, 'could not save the count of lost api.request audit events; will retry');
      })
      .finally(() => {
        saving = undefined;
      });
    return saving;
  }

  async function write(batch: Map<string, AuditEventInput[]>, size: number): Promise<void> {
    for (const [tenantId, inputs] of batch) {
      try {
        await deps.transactor.withTenant(tenantId, (tx) => deps.recorder.recordMany(tx, tenantId, inputs));
      } catch (error) {
        lose('write_failed', inputs.length);
        deps.logger.error({ err: error, events: inputs.length }, 'could not record API calls in the audit log');
      }
    }
    queued -= size;
    if (overflowing && queued < maxQueued / 2) overflowing = false;
    await saveLosses();
  }

  function flush(): Promise<void> {
    scheduled = false;
    if (collected > 0) {
      const batch = pending;
      const size = collected;
      pending = new Map();
      collected = 0;
      running = running.then(() => write(batch, size));
    } else if (Object.values(unsaved).some((events) => events > 0)) {
      running = running.then(saveLosses);
    }
    return Promise.all([running, durableWriting]).then(() => undefined);
  }

  /** Writes the durable records collected so far, one transaction per tenant, then the next group. */
  async function writeDurable(): Promise<void> {
    while (durable.size > 0) {
      const group = durable;
      durable = new Map();
      await Promise.all(
        [...group].map(async ([tenantId, { inputs, waiters }]) => {
          try {
            await deps.transactor.withTenant(tenantId, (tx) => deps.recorder.recordMany(tx, tenantId, inputs));
            for (const waiter of waiters) waiter.resolve();
          } catch (error) {
            deps.logger.error({ err: error, events: inputs.length }, 'could not record state-changing API calls in the audit log');
            for (const waiter of waiters) waiter.reject(error);
          }
        }),
      );
    }
  }

  /** Group commit: one writer at a time; what arrives meanwhile goes in its next round. */
  function startDurable(): void {
    if (durableWriting !== undefined) return;
    durableWriting = writeDurable().finally(() => {
      durableWriting = undefined;
      if (durable.size > 0) startDurable();
    });
  }

  const timer = setInterval(() => {
    if (collected > 0 || Object.values(unsaved).some((events) => events > 0)) void flush();
  }, flushMs);
  timer.unref();

  return {
    add: (tenantId, input) => {
      if (queued >= maxQueued) {
        dropped++;
        lose('buffer_full', 1);
        if (!overflowing) {
          overflowing = true;
          deps.logger.warn({ queued, dropped }, 'api.request audit events are being dropped: the database does not keep up with the request rate');
        }
        return;
      }
      let list = pending.get(tenantId);
      if (list === undefined) pending.set(tenantId, (list = []));
      list.push(input);
      queued++;
      if (++collected >= batchSize && !scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    },
    addDurable: (tenantId, input) =>
      new Promise<void>((resolve, reject) => {
        let entry = durable.get(tenantId);
        if (entry === undefined) durable.set(tenantId, (entry = { inputs: [], waiters: [] }));
        entry.inputs.push(input);
        entry.waiters.push({ resolve, reject });
        startDurable();
      }),
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
      await saveLosses();
    },
    get queued() {
      return queued;
    },
    get dropped() {
      return dropped;
    },
  };
}
