import type { Logger } from 'pino';
import type { Database } from '../../platform/db/index.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import type { AuditAnnouncer } from '../audit/index.ts';
import type { DeliveryWorker } from './delivery-worker.ts';

/** Advisory-lock key of the delivery leader (the sequencer's is 7450104022). */
export const DELIVERY_LOCK_KEY = 7450104023;

/** How often an idle delivery loop looks for work when it is told of sequenced events (safety net; also retries of failed destinations). */
export const DELIVERY_SAFETY_POLL_MS = 10_000;

/**
 * Runs the delivery worker on whichever node holds the delivery lock, so one node sends each
 * batch (a second node would only cause duplicates, never loss: cursors advance by
 * compare-and-set). With an announcer, an idle loop waits for the sequencer's announcement that a
 * log grew (from any node), polling only every `DELIVERY_SAFETY_POLL_MS`; without one it waits `idleMs`.
 */
export function startDeliveryLoop<DB>(deps: { db: Database<DB>; worker: DeliveryWorker; logger: Pick<Logger, 'info' | 'error'>; announcer?: AuditAnnouncer; idleMs?: number; retryMs?: number }): () => Promise<void> {
  const { announcer } = deps;
  return startLeaderLoop({
    db: deps.db,
    lockKey: DELIVERY_LOCK_KEY,
    name: 'audit streaming',
    logger: deps.logger,
    pass: async () => (await deps.worker.runOnce()).delivered,
    idleMs: deps.idleMs ?? (announcer === undefined ? 500 : DELIVERY_SAFETY_POLL_MS),
    ...(announcer === undefined ? {} : { wakeOn: (wake: () => void) => announcer.subscribe('log', wake) }),
    ...(deps.retryMs === undefined ? {} : { retryMs: deps.retryMs }),
  });
}
