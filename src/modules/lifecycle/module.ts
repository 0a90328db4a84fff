import { defineModule } from '../contract.ts';
import { LIFECYCLE_AUDIT_ACTIONS } from './audit-actions.ts';
import { LIFECYCLE_ERRORS } from './errors.ts';
import { createRetentionForConfig } from './create-retention.ts';
import { createDeletionService, type DeletionService } from './deletion-service.ts';
import { createExportService } from './export-service.ts';
import { startLifecycleLoop } from './lifecycle-loop.ts';
import { lifecycleRuns, recordLifecycleRun, type LifecycleRun } from './lifecycle-runs.ts';
import { registerLifecycleRoutes, registerPendingDeletionGuard } from './lifecycle-routes.ts';
import { mailDeletionNotifier } from './mail-deletion-notifier.ts';
import { builtInContributors, type PersonalDataContributor } from './personal-data.ts';
import type { RetentionService } from './retention-service.ts';
import { LIFECYCLE_RETENTION } from './retention.ts';
import { LIFECYCLE_OPTIONS } from './options.ts';

/** DATA-1, DATA-2, DATA-3: retention of every data type, personal-data export, deletion with a grace period. */
export interface LifecycleApi {
  readonly retention: RetentionService;
  readonly deletions: DeletionService;
  /** Every module's personal-data section, in module order. */
  readonly personalData: readonly PersonalDataContributor[];
  /** When each step of the lifecycle job last finished (DATA-1; the trust center's check reads it). */
  readonly runs: () => Promise<LifecycleRun[]>;
}

declare module '../contract.ts' {
  interface ModuleApis {
    lifecycle: LifecycleApi;
  }
}

export const lifecycleModule = defineModule({
  name: 'lifecycle',
  summary: 'Retention per data type, personal-data export, account and organization deletion with grace periods and crypto-shredding.',
  dependsOn: ['audit', 'keys', 'identity', 'access'],
  tables: {
    retention_settings: { scope: 'tenant' },
    organization_deletions: { scope: 'tenant' },
    user_deletions: { scope: 'platform', reason: 'Pending deletions of platform-level accounts (DATA-3).' },
    account_tombstones: { scope: 'platform', reason: 'What remains of a deleted account: an HMAC of its email and dates, no personal data (DATA-3).' },
    lifecycle_runs: { scope: 'platform', reason: 'When each step of the lifecycle job last finished (DATA-1); no tenant data.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  retention: LIFECYCLE_RETENTION,
  errors: LIFECYCLE_ERRORS,
  auditActions: LIFECYCLE_AUDIT_ACTIONS,
  personalData: (ctx) => builtInContributors(ctx),
  options: LIFECYCLE_OPTIONS,
  create: (ctx, { audit, keys, identity, access }) => {
    const { config, transactor, clock, logger } = ctx;
    const personalData = ctx.contributions.personalData;
    const deletions = createDeletionService({
      transactor,
      clock,
      random: ctx.random,
      audit: audit.recorder,
      logger,
      feed: ctx.feed,
      graceDays: config.deletionGraceDays,
      batchSize: config.retentionBatchSize,
      tombstoneKey: ctx.keyring.derive('account-tombstone'),
      sessions: identity.sessions,
      access: access.control,
      keys: { destroy: (tenantId) => keys.destroy(tenantId) },
      contributors: () => personalData,
      notifier: ctx.options.deletionNotifier ?? mailDeletionNotifier(ctx.mail),
    });
    const retention = createRetentionForConfig({ config, transactor, clock, audit: audit.recorder, auditRetention: audit.retention, types: ctx.contributions.retention, metrics: ctx.metrics.registry });
    return {
      api: { retention, deletions, personalData, runs: () => lifecycleRuns(transactor) },
      hooks: (root) => {
        registerPendingDeletionGuard(root, { deletions });
      },
      routes: (http) => {
        registerLifecycleRoutes(http, {
          retention,
          deletions,
          exports: createExportService({ transactor, clock, audit: audit.recorder, contributors: () => personalData }),
          access: access.control,
          transactor,
          clock,
          audit: audit.recorder,
          cookie: identity.cookie,
        });
      },
      // DATA-1, DATA-3, AUD-3: retention of every data type (the audit log and sign-in counters
      // included) and purges after deletion grace periods, on one node at a time.
      jobs: [{ name: 'data lifecycle', start: () => startLifecycleLoop({ db: ctx.db, retention, deletions, logger, recordRun: (job, removed) => recordLifecycleRun(transactor, job, clock.now(), removed) }) }],
    };
  },
});
