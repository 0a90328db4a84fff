import type { AppTransactor } from '../../database.ts';

/** A step of the lifecycle job whose completion is recorded (DATA-1, DATA-3). */
export type LifecycleJob = 'retention' | 'deletions';

export interface LifecycleRun {
  readonly job: LifecycleJob;
  readonly finished_at: Date;
  readonly removed: number;
}

/** Records that a step of the lifecycle job finished, with how many rows or accounts it removed. */
export async function recordLifecycleRun(transactor: AppTransactor, job: LifecycleJob, at: Date, removed: number): Promise<void> {
  await transactor.withPlatform((tx) =>
    tx
      .insertInto('lifecycle_runs')
      .values({ job, finished_at: at, removed })
      .onConflict((oc) => oc.column('job').doUpdateSet({ finished_at: at, removed }))
      .execute(),
  );
}

/** When each step of the lifecycle job last finished (none: it never ran on this database). */
export async function lifecycleRuns(transactor: AppTransactor): Promise<LifecycleRun[]> {
  const rows = await transactor.withPlatform((tx) => tx.selectFrom('lifecycle_runs').selectAll().orderBy('job').execute());
  return rows.map((r) => ({ job: r.job, finished_at: r.finished_at, removed: Number(r.removed) }));
}
