import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';

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

export interface LeaderLoopOptions<DB> {
  readonly db: Database<DB>;
  /** Advisory-lock key; one per job (any constant unique within Parapet). */
  readonly lockKey: number;
  readonly name: string;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** One pass of work; returns how much it did (0 means idle). */
  readonly pass: () => Promise<number>;
  /** Last work when stopping while leading (e.g. drain). */
  readonly finish?: () => Promise<unknown>;
  readonly idleMs: number;
  readonly retryMs?: number;
}

/**
 * Runs a background job on whichever node holds its advisory lock. Followers retry the lock every
 * `retryMs`, so when the leader's connection drops another node takes over within that time.
 * Returns a function that stops the loop after the pass in flight (running `finish` when leading).
 */
export function startLeaderLoop<DB>(options: LeaderLoopOptions<DB>): () => Promise<void> {
  const controller = new AbortController();
  const retryMs = options.retryMs ?? 1000;
  const done = (async () => {
    while (!controller.signal.aborted) {
      try {
        const led = await options.db.withLeaderLock(options.lockKey, async (lost) => {
          const leadership = { lost: false };
          void lost.then(() => {
            leadership.lost = true;
          });
          options.logger.info(`${options.name}: leading`);
          while (!controller.signal.aborted && !leadership.lost) {
            if ((await options.pass()) === 0) await sleep(options.idleMs, controller.signal);
          }
          if (!leadership.lost) await options.finish?.();
        });
        if (!led) await sleep(retryMs, controller.signal);
      } catch (error) {
        options.logger.error({ err: error }, `${options.name} failed; retrying`);
        await sleep(retryMs, controller.signal);
      }
    }
  })();
  return async () => {
    controller.abort();
    await done;
  };
}
