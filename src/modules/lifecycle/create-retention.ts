import type { Registry } from 'prom-client';
import type { Config } from '../../config/index.ts';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AuditRecorder, Retention } from '../audit/index.ts';
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '../audit/index.ts';
import { createRetentionRegistry } from './retention-registry.ts';
import { createRetentionService, type RetentionService } from './retention-service.ts';
import { auditRetentionType, tableRetention, type TableRetention } from './retention-types.ts';

/**
 * The retention service with every module's data types registered (`types`: the `retention` of
 * each manifest, in module order) and the audit log's; the server and the CLI build it the same way.
 */
export function createRetentionForConfig(deps: { config: Config; transactor: AppTransactor; clock: Clock; audit: Pick<AuditRecorder, 'record'>; auditRetention: Retention; types: readonly TableRetention[]; metrics?: Registry }): RetentionService {
  const registry = createRetentionRegistry();
  for (const spec of deps.types) registry.register(tableRetention(spec));
  registry.register(auditRetentionType({ transactor: deps.transactor, retention: deps.auditRetention, defaultDays: deps.config.auditRetentionDays, minDays: MIN_RETENTION_DAYS, maxDays: MAX_RETENTION_DAYS }));
  const service = createRetentionService({
    transactor: deps.transactor,
    clock: deps.clock,
    audit: deps.audit,
    registry,
    configured: deps.config.retentionDays,
    batchSize: deps.config.retentionBatchSize,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
  });
  service.validate();
  return service;
}
