import type { Logger } from 'pino';
import type { Database } from '../../platform/db/index.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import type { AuditAnnouncer } from './audit-announcer.ts';
import type { Sequencer } from './sequencer.ts';

/** Advisory-lock key of the sequencer leader. */
export const SEQUENCER_LOCK_KEY = 7450104022;

/** How often an idle sequencer looks for work when it is told of new events (a safety net for lost announcements). */
export const SEQUENCER_SAFETY_POLL_MS = 30_000;

/**
 * Runs the sequencer on the node holding its lock; stopping drains the inbox first. With an
 * announcer, an idle sequencer waits for an announcement of recorded events (from any node) and
 * polls only every `SEQUENCER_SAFETY_POLL_MS`, or sooner when a checkpoint falls due; without one
 * it polls every `idleMs` (100 ms).
 */
export function startSequencerLoop<DB>(deps: { db: Database<DB>; sequencer: Sequencer; logger: Logger; announcer?: AuditAnnouncer; idleMs?: number; retryMs?: number }): () => Promise<void> {
  const { announcer } = deps;
  return startLeaderLoop({
    db: deps.db,
    lockKey: SEQUENCER_LOCK_KEY,
    name: 'audit sequencer',
    logger: deps.logger,
    pass: () => deps.sequencer.runOnce(),
    finish: () => deps.sequencer.drain(),
    idleMs: deps.idleMs ?? (announcer === undefined ? 100 : SEQUENCER_SAFETY_POLL_MS),
    idleDelay: () => deps.sequencer.nextCheckpointInMs() ?? Number.POSITIVE_INFINITY,
    ...(announcer === undefined ? {} : { wakeOn: (wake: () => void) => announcer.subscribe('inbox', wake) }),
    ...(deps.retryMs === undefined ? {} : { retryMs: deps.retryMs }),
  });
}
