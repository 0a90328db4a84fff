import type { Logger } from 'pino';
import type { Database } from '../../platform/db/index.ts';
import type { Sequencer } from './sequencer.ts';

/** Advisory-lock key of the sequencer leader (any constant unique within Parapet). */
export const SEQUENCER_LOCK_KEY = 7450104022;

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
 * Runs the sequencer on whichever node holds the leader lock. Followers retry the lock every
 * `retryMs`, so when the leader's connection drops another node takes over within that time.
 * Returns a function that stops the loop (after a final drain when this node leads).
 */
export function startSequencerLoop<DB>(deps: { db: Database<DB>; sequencer: Sequencer; logger: Logger; idleMs?: number; retryMs?: number }): () => Promise<void> {
  const controller = new AbortController();
  const idleMs = deps.idleMs ?? 100;
  const retryMs = deps.retryMs ?? 1000;
  const done = (async () => {
    while (!controller.signal.aborted) {
      try {
        const led = await deps.db.withLeaderLock(SEQUENCER_LOCK_KEY, async (lost) => {
          const connection = { lost: false };
          void lost.then(() => {
            connection.lost = true;
          });
          deps.logger.info('audit sequencer: leading');
          while (!controller.signal.aborted && !connection.lost) {
            const moved = await deps.sequencer.runOnce();
            if (moved === 0) await sleep(idleMs, controller.signal);
          }
          if (!connection.lost) await deps.sequencer.drain();
        });
        if (!led) await sleep(retryMs, controller.signal);
      } catch (error) {
        deps.logger.error({ err: error }, 'audit sequencer failed; retrying');
        await sleep(retryMs, controller.signal);
      }
    }
  })();
  return async () => {
    controller.abort();
    await done;
  };
}
