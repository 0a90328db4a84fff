import type { Logger } from 'pino';
import type { Database } from '../../platform/db/index.ts';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import type { DeletionService } from './deletion-service.ts';
import type { LifecycleJob } from './lifecycle-runs.ts';
import type { RetentionService } from './retention-service.ts';

/** Advisory-lock key of the lifecycle job (audit jobs use 7450104022/…23, key maintenance …31). */
export const LIFECYCLE_LOCK_KEY = 7450104041;

/**
 * The lifecycle job on one node at a time (DATA-1, DATA-3): every pass sends pending deletion
 * notices and purges accounts and organizations past their grace period; every `retentionEveryMs`
 * it enforces retention for every data type. Each step is idempotent, so a new leader simply
 * carries on after a crash.
 */
export function startLifecycleLoop<DB>(deps: {
  db: Database<DB>;
  retention: RetentionService;
  deletions: DeletionService;
  logger: Pick<Logger, 'info' | 'error'>;
  idleMs?: number;
  retentionEveryMs?: number;
  now?: () => number;
  /** Records that a step finished (DATA-1: the trust center proves purges run from it). */
  recordRun?: (job: LifecycleJob, removed: number) => Promise<void>;
}): () => Promise<void> {
  const now = deps.now ?? Date.now;
  const every = deps.retentionEveryMs ?? 3_600_000;
  let lastRetention = Number.NEGATIVE_INFINITY;
  return startLeaderLoop({
    db: deps.db,
    lockKey: LIFECYCLE_LOCK_KEY,
    name: 'lifecycle',
    logger: deps.logger,
    idleMs: deps.idleMs ?? 60_000,
    pass: async () => {
      const notices = await deps.deletions.deliverNotices();
      const due = await deps.deletions.purgeDue();
      if (due.users + due.organizations > 0) deps.logger.info(due, 'lifecycle: purged deleted accounts and organizations');
      await deps.recordRun?.('deletions', due.users + due.organizations);
      if (now() - lastRetention >= every) {
        lastRetention = now();
        const reports = (await deps.retention.purgeAll()).filter((r) => r.removed > 0);
        await deps.recordRun?.('retention', reports.reduce((n, r) => n + r.removed, 0));
        if (reports.length > 0) deps.logger.info({ purged: reports.map((r) => ({ type: r.type, tenant: r.tenantId, removed: r.removed })) }, 'lifecycle: retention applied');
      }
      // Deletions found work: look again at once (there may be more than one batch of accounts).
      return notices + due.users + due.organizations;
    },
  });
}
