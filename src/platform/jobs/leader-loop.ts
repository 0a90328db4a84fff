import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';

/**
 * Waits `ms`, or less if `signal` aborts. Its abort listener is removed when the wait ends either
 * way: a follower waits on the loop's one long-lived signal every `retryMs`, so a listener left
 * behind per wait (with its timer and promise) grew the heap without bound on every node that
 * did not lead (issue 15, soak).
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const end = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    signal.addEventListener('abort', end, { once: true });
  });
}

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
  /**
   * Cuts an idle wait short when new work is announced (LISTEN/NOTIFY): called once with a `wake`
   * function to call on each announcement; returns a function that stops listening. With it,
   * `idleMs` is only a safety poll. A wake-up during a pass makes the next wait end at once, so an
   * announcement heard between the pass's query and the wait is never lost.
   */
  readonly wakeOn?: (wake: () => void) => () => void;
  /** The wait after an idle pass when less than `idleMs` is needed (work due by time, e.g. a checkpoint). */
  readonly idleDelay?: () => number;
}

/**
 * Runs a background job on whichever node holds its advisory lock. Followers retry the lock every
 * `retryMs`, so when the leader's connection drops another node takes over within that time.
 * Returns a function that stops the loop after the pass in flight (running `finish` when leading).
 */
export function startLeaderLoop<DB>(options: LeaderLoopOptions<DB>): () => Promise<void> {
  const controller = new AbortController();
  const retryMs = options.retryMs ?? 1000;
  let woken = false;
  let interrupt: (() => void) | undefined;
  const stopWaking = options.wakeOn?.(() => {
    woken = true;
    interrupt?.();
  });
  /** Waits `ms`, or less when woken (now or since the last wait), or stopped. */
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || controller.signal.aborted) {
        woken = false;
        resolve();
        return;
      }
      const end = () => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', end);
        interrupt = undefined;
        woken = false;
        resolve();
      };
      const timer = setTimeout(end, ms);
      interrupt = end;
      controller.signal.addEventListener('abort', end, { once: true });
    });
  const done = (async () => {
    while (!controller.signal.aborted) {
      try {
        const led = await options.db.withLeaderLock(options.lockKey, async (lost) => {
          const leadership = { lost: false };
          void lost.then(() => {
            leadership.lost = true;
            // Stop waiting at once: with a long safety poll the loop would lead nothing meanwhile.
            interrupt?.();
          });
          options.logger.info(`${options.name}: leading`);
          while (!controller.signal.aborted && !leadership.lost) {
            if ((await options.pass()) === 0) await idle(Math.min(options.idleMs, options.idleDelay?.() ?? options.idleMs));
          }
          if (!leadership.lost) await options.finish?.();
        });
        if (!led) await abortableSleep(retryMs, controller.signal);
      } catch (error) {
        options.logger.error({ err: error }, `${options.name} failed; retrying`);
        await abortableSleep(retryMs, controller.signal);
      }
    }
  })();
  return async () => {
    controller.abort();
    stopWaking?.();
    await done;
  };
}

/** What a leader loop's job knows about when its next work comes due (retries scheduled by time). */
export interface DueTracker {
  /** Work comes due at `ms` (epoch milliseconds): lowers the known due time, never raises it. */
  readonly note: (ms: number) => void;
  /** Replaces the known due time with what a pass just read (undefined: nothing is queued). */
  readonly set: (ms: number | undefined) => void;
  /** For `LeaderLoopOptions.idleDelay`: until the known due time, at least `minWaitMs`; unbounded when nothing is known. */
  readonly idleDelay: () => number;
}

/**
 * A job that sleeps until its next due time instead of polling (issue 16): a pass `set`s the due
 * time it reads, a retry scheduled on this node or heard on the change feed `note`s one. The wait
 * is at least `minWaitMs`, so a due row another node holds for a moment is not spun on.
 */
export function createDueTracker(now: () => number, minWaitMs = 250): DueTracker {
  let dueMs: number | undefined;
  return {
    note: (ms) => {
      if (Number.isFinite(ms) && (dueMs === undefined || ms < dueMs)) dueMs = ms;
    },
    set: (ms) => {
      dueMs = ms;
    },
    idleDelay: () => (dueMs === undefined ? Number.POSITIVE_INFINITY : Math.max(minWaitMs, dueMs - now())),
  };
}
