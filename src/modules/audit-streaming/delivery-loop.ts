import type { Logger } from 'pino';
import type { Database } from '../../platform/db/index.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import type { DeliveryWorker } from './delivery-worker.ts';

/** Advisory-lock key of the delivery leader (the sequencer's is 7450104022). */
export const DELIVERY_LOCK_KEY = 7450104023;

/**
 * Runs the delivery worker on whichever node holds the delivery lock, so one node sends each
 * batch (a second node would only cause duplicates, never loss: cursors advance by
 * compare-and-set). Between passes that sent nothing it waits `idleMs`.
 */
export function startDeliveryLoop<DB>(deps: { db: Database<DB>; worker: DeliveryWorker; logger: Pick<Logger, 'info' | 'error'>; idleMs?: number; retryMs?: number }): () => Promise<void> {
  return startLeaderLoop({
    db: deps.db,
    lockKey: DELIVERY_LOCK_KEY,
    name: 'audit streaming',
    logger: deps.logger,
    pass: async () => (await deps.worker.runOnce()).delivered,
    idleMs: deps.idleMs ?? 500,
    ...(deps.retryMs === undefined ? {} : { retryMs: deps.retryMs }),
  });
}
