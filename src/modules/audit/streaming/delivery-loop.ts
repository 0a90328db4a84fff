import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/index.ts';
import type { DeliveryWorker } from './delivery-worker.ts';

/** Advisory-lock key of the delivery leader (the sequencer's is 7450104022). */
export const DELIVERY_LOCK_KEY = 7450104023;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Runs the delivery worker on whichever node holds the delivery lock, so one node sends each
 * batch (a second node would only cause duplicates, never loss: cursors advance by
 * compare-and-set). Between passes that sent nothing it waits `idleMs`. Returns a function that
 * stops the loop after the pass in flight.
 */
export function startDeliveryLoop<DB>(deps: { db: Database<DB>; worker: DeliveryWorker; logger: Pick<Logger, 'info' | 'error'>; idleMs?: number; retryMs?: number }): () => Promise<void> {
  const controller = new AbortController();
  const idleMs = deps.idleMs ?? 500;
  const retryMs = deps.retryMs ?? 1000;
  const done = (async () => {
    while (!controller.signal.aborted) {
      try {
        const led = await deps.db.withLeaderLock(DELIVERY_LOCK_KEY, async (lost) => {
          const leadership = { lost: false };
          void lost.then(() => {
            leadership.lost = true;
          });
          deps.logger.info('audit streaming: delivering');
          while (!controller.signal.aborted && !leadership.lost) {
            const { delivered } = await deps.worker.runOnce();
            if (delivered === 0) await sleep(idleMs, controller.signal);
          }
        });
        if (!led) await sleep(retryMs, controller.signal);
      } catch (error) {
        deps.logger.error({ err: error }, 'audit streaming failed; retrying');
        await sleep(retryMs, controller.signal);
      }
    }
  })();
  return async () => {
    controller.abort();
    await done;
  };
}
