import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import type { FieldEncryption } from '../keys/index.ts';
import { eventsFrom } from '../audit/index.ts';
import { toDeliveryError, type DeliveryError } from './delivery-error.ts';
import * as store from './destination-store.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-delay.ts';
import type { OpenDestination, Sender } from './sender.ts';
import { checkpointRecord, eventRecord, interleave, type StreamBatch } from './stream-records.ts';
import { auditReads } from '../audit/index.ts';

export interface DeliveryOptions {
  /** Events per batch (one TLS connection or one webhook request). */
  readonly batchSize: number;
  readonly maxTenantsPerPass: number;
  /** Destinations sent to at the same time, so one slow receiver does not hold up the others. */
  readonly concurrency: number;
  readonly retry: RetryPolicy;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = { batchSize: 500, maxTenantsPerPass: 500, concurrency: 8, retry: DEFAULT_RETRY_POLICY };

export type DeliveryResult =
  | { readonly status: 'idle' }
  | { readonly status: 'delivered'; readonly events: number; readonly checkpoints: number }
  | { readonly status: 'failed'; readonly error: DeliveryError; readonly retryInMs: number };

export interface DeliveryWorker {
  /** Sends the next batch to one destination and advances its cursor once acknowledged. */
  deliverDestination(tenantId: string, destinationId: string): Promise<DeliveryResult>;
  /** One batch for every due destination of every tenant with work; returns records sent and failures. */
  runOnce(): Promise<{ readonly delivered: number; readonly failed: number }>;
  /** Passes until one sends nothing (tests, shutdown). Destinations backing off are not waited for. */
  drain(): Promise<number>;
}

interface Work {
  readonly batch: StreamBatch;
  readonly destination: OpenDestination;
  readonly from: number;
  readonly to: { readonly nextSeq: number; readonly checkpointSize: number };
  readonly attempts: number;
  readonly events: number;
  /** The webhook secret as stored (decrypted outside the read transaction). */
  readonly secretSealed: string | null;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Streams each organization's audit log to its destinations (AUD-5), at least once: the cursor
 * moves only after the destination acknowledged the batch, and events stay in `audit_events`, so
 * a destination that is down only falls behind. Reads run in the tenant's own transaction; no
 * transaction is held open while sending.
 */
export function createDeliveryWorker(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  fields: FieldEncryption;
  send: Sender;
  /** The key that verifies checkpoints, sent with each one so a SIEM can check them on its own. */
  verifierKey: string;
  logger: Pick<Logger, 'debug' | 'warn' | 'error'>;
  options?: Partial<DeliveryOptions>;
}): DeliveryWorker {
  const options = { ...DEFAULT_DELIVERY_OPTIONS, ...deps.options };
  const { transactor, clock, logger } = deps;

  async function readWork(tx: Tx, tenantId: string, destinationId: string): Promise<Work | undefined> {
    const row = await store.getDestination(tx, tenantId, destinationId);
    if (row?.enabled !== true) return undefined;
    const from = Number(row.cursor.next_seq);
    const lastCheckpoint = Number(row.cursor.last_checkpoint_size);
    // The head first: every event below its size is then visible to the next statement, so the
    // cursor can never skip an event committed in between.
    const size = await auditReads.treeSize(tx, tenantId);
    const rows = from < size ? await eventsFrom(tx, tenantId, from, options.batchSize) : [];
    const last = rows.at(-1);
    // No rows below the head means retention purged them before they were delivered: skip ahead.
    const nextSeq = last === undefined ? Math.max(from, size) : Number(last.seq) + 1;
    const first = rows[0];
    if (nextSeq > from && (first === undefined || Number(first.seq) > from)) {
      logger.warn({ tenant_id: tenantId, destination_id: destinationId, from, resumed_at: first === undefined ? nextSeq : Number(first.seq) }, 'audit stream: events were purged by retention before this destination received them');
    }
    const checkpoints = await auditReads.checkpointsBetween(tx, tenantId, lastCheckpoint, nextSeq, 1000);
    const checkpointSize = Math.max(lastCheckpoint, ...checkpoints.map((c) => Number(c.size)));
    const records = interleave(
      rows.map((r) => eventRecord(r, row.format)),
      checkpoints.map((c) => checkpointRecord(c, deps.verifierKey)),
    );
    return {
      secretSealed: row.secret_sealed,
      batch: { tenantId, destinationId, format: row.format, id: `msg_${destinationId.replaceAll('-', '')}_${from}_${nextSeq}_${checkpointSize}`, records },
      destination: { kind: row.kind, host: row.host, port: row.port, url: row.url, caPem: row.ca_pem, secret: null },
      from,
      to: { nextSeq, checkpointSize },
      attempts: row.cursor.attempts,
      events: rows.length,
    };
  }

  async function deliverDestination(tenantId: string, destinationId: string): Promise<DeliveryResult> {
    const read = await transactor.withTenant(tenantId, (tx) => readWork(tx, tenantId, destinationId));
    if (read === undefined) return { status: 'idle' };
    // Decrypted after the read transaction: field encryption may open its own to load the tenant key.
    const secret = read.secretSealed === null ? null : await deps.fields.decryptField(store.secretFieldContext(tenantId, destinationId), read.secretSealed);
    const work = { ...read, destination: { ...read.destination, secret } };
    const { batch } = work;
    if (batch.records.length === 0) {
      if (work.to.nextSeq > work.from) await transactor.withTenant(tenantId, (tx) => store.advanceCursor(tx, tenantId, destinationId, work.from, work.to, clock.now()));
      return { status: 'idle' };
    }
    try {
      await deps.send(work.destination, batch);
    } catch (caught) {
      const error = toDeliveryError(caught);
      const attempts = work.attempts + 1;
      const retryInMs = retryDelayMs(attempts, deps.random, options.retry);
      const message = `${error.code}: ${error.message}`;
      await transactor.withTenant(tenantId, (tx) => store.recordFailure(tx, tenantId, destinationId, attempts, new Date(clock.now().getTime() + retryInMs), message));
      logger.warn({ tenant_id: tenantId, destination_id: destinationId, attempts, retry_in_ms: retryInMs, error: message }, 'audit stream: delivery failed; will retry');
      return { status: 'failed', error, retryInMs };
    }
    await transactor.withTenant(tenantId, (tx) => store.advanceCursor(tx, tenantId, destinationId, work.from, work.to, clock.now()));
    const checkpoints = batch.records.length - work.events;
    logger.debug({ tenant_id: tenantId, destination_id: destinationId, events: work.events, checkpoints, next_seq: work.to.nextSeq }, 'audit stream: delivered');
    return { status: 'delivered', events: work.events, checkpoints };
  }

  async function runOnce(): Promise<{ delivered: number; failed: number }> {
    const now = clock.now();
    const tenants = await transactor.withJobs(async (tx) => {
      const result = await sql<{ tenant: string }>`select parapet_audit_streaming_tenants(${options.maxTenantsPerPass}, ${now}) as tenant`.execute(tx);
      return result.rows.map((r) => r.tenant);
    });
    const jobs: [string, string][] = [];
    for (const tenantId of tenants) {
      const due = await transactor.withTenant(tenantId, (tx) => store.dueDestinations(tx, tenantId, now));
      for (const destinationId of due) jobs.push([tenantId, destinationId]);
    }
    const results = await mapLimit(jobs, options.concurrency, async ([tenantId, destinationId]): Promise<DeliveryResult | undefined> => {
      try {
        return await deliverDestination(tenantId, destinationId);
      } catch (error) {
        logger.error({ err: error, tenant_id: tenantId, destination_id: destinationId }, 'audit stream: delivery pass failed');
        return undefined;
      }
    });
    let delivered = 0;
    let failed = 0;
    for (const result of results) {
      if (result?.status === 'delivered') delivered += result.events + result.checkpoints;
      else if (result?.status !== 'idle') failed++;
    }
    return { delivered, failed };
  }

  return {
    deliverDestination,
    runOnce,
    drain: async () => {
      let total = 0;
      for (;;) {
        const { delivered } = await runOnce();
        total += delivered;
        if (delivered === 0) return total;
      }
    },
  };
}
