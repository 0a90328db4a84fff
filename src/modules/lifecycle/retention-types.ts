import { sql, type RawBuilder } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { AuditContext, Retention } from '../audit/index.ts';
import type { PurgeTarget, RetentionDataType, RetentionScope } from './retention-registry.ts';

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

const INFINITY = sql`'infinity'::timestamptz`;

/** The data types Parapet's own tables contribute (docs/data-lifecycle.md lists them, and the tables left out). */
export const TABLE_RETENTIONS: readonly TableRetention[] = Object.freeze([
  {
    type: 'sessions',
    description: 'Console sessions that ended (signed out, revoked, idle or past their absolute lifetime).',
    table: 'sessions',
    scope: 'platform',
    endedAt: sql<Date>`least(coalesce(revoked_at, ${INFINITY}), absolute_expires_at, last_seen_at + idle_timeout_seconds * interval '1 second')`,
    defaultDays: 30,
    minDays: 1,
    maxDays: 3660,
  },
  {
    type: 'setup_tokens',
    description: 'One-time setup links that were used or expired.',
    table: 'setup_tokens',
    scope: 'platform',
    endedAt: sql<Date>`least(coalesce(used_at, ${INFINITY}), expires_at)`,
    defaultDays: 7,
    minDays: 1,
    maxDays: 365,
  },
  {
    type: 'login_throttle',
    description: 'Failed sign-in counters with no failure and no running lock since the cutoff (the counting window is 24 hours).',
    table: 'login_throttle',
    scope: 'platform',
    endedAt: sql<Date>`greatest(last_failure_at, coalesce(locked_until, last_failure_at))`,
    defaultDays: 1,
    minDays: 1,
    maxDays: 30,
  },
  {
    type: 'deleted_accounts',
    description: 'Tombstones of deleted accounts (email HMAC and dates), counted from the deletion.',
    table: 'account_tombstones',
    scope: 'platform',
    endedAt: sql<Date>`deleted_at`,
    defaultDays: 365,
    minDays: 30,
    maxDays: 3660,
  },
  {
    type: 'secret_versions',
    description: 'Secret values replaced by a newer version or deleted with their secret (ENC-4), counted from then; the live version is kept.',
    table: 'secret_versions',
    scope: 'tenant',
    endedAt: sql<Date | null>`superseded_at`,
    defaultDays: 90,
    minDays: 1,
    maxDays: 3660,
  },
  {
    type: 'security_events',
    description: 'Security alerts, counted from their acknowledgement (unacknowledged alerts are kept).',
    table: 'security_alerts',
    scope: 'tenant',
    endedAt: sql<Date | null>`acknowledged_at`,
    defaultDays: 365,
    minDays: 30,
    maxDays: 3660,
  },
  {
    type: 'access_requests',
    description: 'Decided just-in-time access requests, counted from the decision (or the grant\u2019s expiry); pending ones are kept.',
    table: 'access_requests',
    scope: 'tenant',
    endedAt: sql<Date | null>`case when status = 'pending' then null when status = 'approved' then greatest(decided_at, coalesce(expires_at, decided_at)) else decided_at end`,
    defaultDays: 400,
    minDays: 30,
    maxDays: 3660,
  },
  {
    type: 'risky_write_approvals',
    description: 'Approved or rejected risky-write approvals, counted from the decision; pending ones are kept.',
    table: 'risky_write_approvals',
    scope: 'tenant',
    endedAt: sql<Date | null>`case when status = 'pending' then null else decided_at end`,
    defaultDays: 400,
    minDays: 30,
    maxDays: 3660,
  },
  {
    type: 'expired_grants',
    description: 'Role bindings past their expiry (ended just-in-time grants and time-boxed bindings).',
    table: 'role_bindings',
    scope: 'tenant',
    endedAt: sql<Date | null>`expires_at`,
    defaultDays: 90,
    minDays: 1,
    maxDays: 3660,
  },
  {
    type: 'ended_api_keys',
    description: 'API keys that were revoked, expired or retired after rotation (hash and metadata; the secret was never stored).',
    table: 'api_keys',
    scope: 'tenant',
    endedAt: sql<Date>`least(coalesce(revoked_at, ${INFINITY}), expires_at, coalesce(retires_at, ${INFINITY}))`,
    defaultDays: 90,
    minDays: 1,
    maxDays: 3660,
  },
  {
    type: 'request_signatures',
    description: 'Spent request-signature digests (AUTH-8 replay protection), counted from the end of their time window.',
    table: 'api_key_signatures',
    scope: 'tenant',
    endedAt: sql<Date>`expires_at`,
    defaultDays: 1,
    minDays: 0,
    maxDays: 30,
  },
  {
    type: 'assertion_jtis',
    description: 'Spent OAuth client-assertion ids (RFC 7523 replay protection), counted from the assertion\u2019s expiry.',
    table: 'oauth_assertion_jtis',
    scope: 'tenant',
    endedAt: sql<Date>`expires_at`,
    defaultDays: 1,
    minDays: 0,
    maxDays: 30,
  },
] satisfies TableRetention[]);

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
      target.inTransaction(async (tx) => {
        const result = await tx.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', target.tenantId).where('recorded_at', '<', cutoff).executeTakeFirst();
        return Number(result?.n ?? 0);
      }),
    setting: {
      get: async (tenantId) =>
        transactor.withTenant(tenantId, async (tx) => (await tx.selectFrom('audit_settings').select('retention_days').where('tenant_id', '=', tenantId).executeTakeFirst())?.retention_days),
      set: async (ctx: AuditContext, tenantId: string, days: number | null) => {
        await retention.setRetentionDays(tenantId, days ?? deps.defaultDays, ctx);
      },
    },
  };
}
