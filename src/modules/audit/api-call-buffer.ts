import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AppTransactor } from '../../database.ts';
import type { AuditEventInput } from './audit-event.ts';
import type { AuditRecorder } from './audit-recorder.ts';

/**
 * Collects `api.request` events and writes them in one transaction per tenant (one multi-row
 * insert) every `flushMs`, or as soon as `batchSize` accumulate, instead of a transaction per
 * request. Events that describe a change are still written in the change's own transaction; only
 * the record of the HTTP call itself is batched, so a crash can lose at most the last `flushMs` of
 * those. `add` never does I/O: writes start from a timer or `setImmediate`, outside the request.
 *
 * Bounded: at most `maxQueued` events wait (collected or being written). Past that, when the
 * database cannot keep up or is down, further `api.request` events are dropped and counted
 * (`parapet_audit_api_calls_dropped_total`, and a warning per overflow episode), rather than
 * holding memory without limit.
 */
export interface ApiCallBuffer {
  add(tenantId: string, input: AuditEventInput): void;
  /** Writes everything collected so far; resolves when it and every earlier write are done. */
  flush(): Promise<void>;
  /** Stops the timer after a final flush. */
  close(): Promise<void>;
  /** Events accepted and not yet written (or failed). */
  readonly queued: number;
  /** Events refused since start because `maxQueued` were waiting. */
  readonly dropped: number;
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

  const droppedCounter =
    deps.registry === undefined
      ? undefined
      : new Counter({ name: 'parapet_audit_api_calls_dropped_total', help: 'api.request audit events dropped because the buffer was full (the database did not keep up).', registers: [deps.registry] });
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

  async function write(batch: Map<string, AuditEventInput[]>, size: number): Promise<void> {
    for (const [tenantId, inputs] of batch) {
      try {
        await deps.transactor.withTenant(tenantId, (tx) => deps.recorder.recordMany(tx, tenantId, inputs));
      } catch (error) {
        deps.logger.error({ err: error, events: inputs.length }, 'could not record API calls in the audit log');
      }
    }
    queued -= size;
    if (overflowing && queued < maxQueued / 2) overflowing = false;
  }

  function flush(): Promise<void> {
    scheduled = false;
    if (collected > 0) {
      const batch = pending;
      const size = collected;
      pending = new Map();
      collected = 0;
      running = running.then(() => write(batch, size));
    }
    return running;
  }

  const timer = setInterval(() => {
    if (collected > 0) void flush();
  }, flushMs);
  timer.unref();

  return {
    add: (tenantId, input) => {
      if (queued >= maxQueued) {
        dropped++;
        droppedCounter?.inc();
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
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
    get queued() {
      return queued;
    },
    get dropped() {
      return dropped;
    },
  };
}
