import { sql, type RawBuilder } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { AuditContext, Retention } from '../audit/index.ts';
import type { PurgeTarget, RetentionDataType, RetentionScope } from './retention-registry.ts';
import { auditReads } from '../audit/index.ts';

/**
 * A data type stored in one table whose rows carry the moment their retention clock starts (an
 * SQL expression over the row: when a session ended, when a key expired; null = never). A row is
 * removed once that moment is strictly before the cutoff, at most `batchSize` rows per statement.
 */
export interface TableRetention {
  readonly type: string;
  readonly description: string;
  readonly table: string;
  readonly scope: RetentionScope;
  /** When the row's retention clock starts; rows where this is null are never removed. */
  readonly endedAt: RawBuilder<Date | null>;
  readonly defaultDays: number;
  readonly minDays: number;
  readonly maxDays: number;
}

function tenantFilter(table: string, scope: RetentionScope, target: PurgeTarget) {
  return scope === 'tenant' ? sql`and ${sql.ref(`${table}.tenant_id`)} = ${target.tenantId}` : sql``;
}

/** Deletes at most `batchSize` rows of `table` matching the type's predicate (one bounded statement). */
export async function deleteBatch(tx: Tx, spec: Pick<TableRetention, 'table' | 'scope' | 'endedAt'>, target: PurgeTarget, cutoff: Date, batchSize: number): Promise<number> {
  const t = sql.table(spec.table);
  const result = await sql`
    delete from ${t} where ctid = any(array(
      select ctid from ${t} where ${spec.endedAt} < ${cutoff} ${tenantFilter(spec.table, spec.scope, target)} limit ${batchSize}
    ))`.execute(tx);
  return Number(result.numAffectedRows ?? 0n);
}

export function tableRetention(spec: TableRetention): RetentionDataType {
  return {
    type: spec.type,
    description: spec.description,
    scope: spec.scope,
    defaultDays: spec.defaultDays,
    minDays: spec.minDays,
    maxDays: spec.maxDays,
    purge: (target, cutoff, batchSize) => target.inTransaction((tx) => deleteBatch(tx, spec, target, cutoff, batchSize)),
    count: (target, cutoff) =>
      target.inTransaction(async (tx) => {
        const result = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(spec.table)} where ${spec.endedAt} < ${cutoff} ${tenantFilter(spec.table, spec.scope, target)}`.execute(tx);
        return result.rows[0]?.n ?? 0;
      }),
  };
}



/**
 * The audit log as a data type (AUD-3, DATA-1): its per-organization period stays in
 * `audit_settings` (the audit API's own setting) and its purge is the audit module's retention,
 * which removes a whole prefix after a signed retention checkpoint so the rest stays verifiable.
 */
export function auditRetentionType(deps: { transactor: AppTransactor; retention: Retention; defaultDays: number; minDays: number; maxDays: number }): RetentionDataType {
  const { transactor, retention } = deps;
  return {
    type: 'audit',
    description: 'Audit events older than the period, removed as a whole prefix after a signed retention checkpoint (tree hashes stay, so later entries still verify).',
    scope: 'tenant',
    defaultDays: deps.defaultDays,
    minDays: Math.min(deps.minDays, deps.defaultDays),
    maxDays: Math.max(deps.maxDays, deps.defaultDays),
    // Every log with entries, the platform's and those of deleted organizations included.
    tenants: async () => transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_audit_tenants() as t`.execute(tx)).rows.map((r) => r.t)),
    // The audit retention computes the same cutoff from the same setting and purges up to it.
    purge: async (target) => (await retention.applyToTenant(target.tenantId))?.purged ?? 0,
    count: (target, cutoff) =>
      target.inTransaction((tx) => auditReads.countRecordedBefore(tx, target.tenantId, cutoff)),
    setting: {
      get: async (tenantId) =>
        transactor.withTenant(tenantId, (tx) => auditReads.retentionDaysSetting(tx, tenantId)),
      set: async (ctx: AuditContext, tenantId: string, days: number | null) => {
        await retention.setRetentionDays(tenantId, days ?? deps.defaultDays, ctx);
      },
    },
  };
}
