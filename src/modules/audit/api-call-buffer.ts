import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { AuditEventInput } from './audit-event.ts';
import type { AuditRecorder } from './audit-recorder.ts';

/**
 * Collects `api.request` events and writes them in one transaction per tenant every `flushMs`
 * (or sooner when `maxPending` accumulate), instead of a transaction per request. Events that
 * describe a change are still written in the change's own transaction; only the record of the
 * HTTP call itself is batched, so a crash can lose at most the last `flushMs` of those.
 */
export interface ApiCallBuffer {
  add(tenantId: string, input: AuditEventInput): void;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Stops the timer after a final flush. */
  close(): Promise<void>;
}

export function createApiCallBuffer(deps: { transactor: AppTransactor; recorder: AuditRecorder; logger: Pick<Logger, 'error'>; flushMs?: number; maxPending?: number }): ApiCallBuffer {
  const flushMs = deps.flushMs ?? 100;
  const maxPending = deps.maxPending ?? 500;
  let pending = new Map<string, AuditEventInput[]>();
  let count = 0;
  let running: Promise<void> = Promise.resolve();

  async function write(batch: Map<string, AuditEventInput[]>): Promise<void> {
    for (const [tenantId, inputs] of batch) {
      try {
        await deps.transactor.withTenant(tenantId, (tx) => deps.recorder.recordMany(tx, tenantId, inputs));
      } catch (error) {
        deps.logger.error({ err: error, events: inputs.length }, 'could not record API calls in the audit log');
      }
    }
  }

  function flush(): Promise<void> {
    const batch = pending;
    pending = new Map();
    count = 0;
    running = running.then(() => write(batch));
    return running;
  }

  const timer = setInterval(() => {
    if (count > 0) void flush();
  }, flushMs);
  timer.unref();

  return {
    add: (tenantId, input) => {
      const list = pending.get(tenantId) ?? [];
      list.push(input);
      pending.set(tenantId, list);
      if (++count >= maxPending) void flush();
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
