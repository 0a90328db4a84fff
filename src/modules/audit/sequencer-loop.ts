import type { Logger } from 'pino';
import type { Database } from '../../platform/db/index.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import type { Sequencer } from './sequencer.ts';

/** Advisory-lock key of the sequencer leader. */
export const SEQUENCER_LOCK_KEY = 7450104022;

/** Runs the sequencer on the node holding its lock; stopping drains the inbox first. */
export function startSequencerLoop<DB>(deps: { db: Database<DB>; sequencer: Sequencer; logger: Logger; idleMs?: number; retryMs?: number }): () => Promise<void> {
  return startLeaderLoop({
    db: deps.db,
    lockKey: SEQUENCER_LOCK_KEY,
    name: 'audit sequencer',
    logger: deps.logger,
    pass: () => deps.sequencer.runOnce(),
    finish: () => deps.sequencer.drain(),
    idleMs: deps.idleMs ?? 100,
    ...(deps.retryMs === undefined ? {} : { retryMs: deps.retryMs }),
  });
}
