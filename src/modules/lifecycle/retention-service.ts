import { sql } from 'kysely';
import { Counter, type Registry } from 'prom-client';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditContext, type AuditRecorder } from '../audit/index.ts';
import { platformDefaults, type PurgeTarget, type RetentionDataType, type RetentionRegistry } from './retention-registry.ts';

const DAY_MS = 86_400_000;

/** One data type's policy as it applies to an organization (or the platform). */
export interface EffectivePolicy {
  readonly type: string;
  readonly scope: 'platform' | 'tenant';
  readonly description: string;
  readonly days: number;
  readonly defaultDays: number;
  readonly minDays: number;
  readonly maxDays: number;
  /** True when the organization chose its own period. */
  readonly overridden: boolean;
}

/** What one purge pass removed (or, dry, would remove) for one type in one tenant. */
export interface PurgeReport {
  readonly type: string;
  readonly tenantId: string;
  readonly days: number;
  readonly cutoff: string;
  readonly removed: number;
  readonly dryRun: boolean;
}

/**
 * Retention (DATA-1): platform defaults from config, per-organization overrides within each type's
 * bounds, and the purge that enforces them in bounded batches. A pass is idempotent: it removes
 * only what is older than the cutoff, so running it twice removes nothing the second time.
 */
export function createRetentionService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  audit: Pick<AuditRecorder, 'record'>;
  registry: RetentionRegistry;
  configured: Readonly<Record<string, number>>;
  batchSize: number;
  metrics?: Registry;
}) {
  const { transactor, clock, audit, registry } = deps;
  let defaults: ReadonlyMap<string, number> | undefined;
  const defaultsOf = () => (defaults ??= platformDefaults(registry, deps.configured));
  const purged = deps.metrics === undefined ? undefined : new Counter({ name: 'parapet_retention_purged_rows_total', help: 'Rows removed by retention purges, by data type.', labelNames: ['type'], registers: [deps.metrics] });

  const target = (tenantId: string): PurgeTarget => ({
    tenantId,
    // Platform tables have no tenant; the platform's tenant id gives their events the platform log.
    inTransaction: (fn) => transactor.withTenant(tenantId, fn),
  });

  async function overrides(tenantId: string): Promise<Map<string, number>> {
    const rows = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('retention_settings').select(['data_type', 'days']).where('tenant_id', '=', tenantId).execute());
    return new Map(rows.map((r) => [r.data_type, r.days]));
  }

  async function policyFor(type: RetentionDataType, tenantId: string, stored?: Map<string, number>): Promise<EffectivePolicy> {
    const defaultDays = defaultsOf().get(type.type) ?? type.defaultDays;
    let own: number | undefined;
    if (type.scope === 'tenant' && tenantId !== PLATFORM_TENANT_ID) own = type.setting !== undefined ? await type.setting.get(tenantId) : (stored ?? (await overrides(tenantId))).get(type.type);
    // An override stored before the bounds changed is clamped into them.
    const days = own === undefined ? defaultDays : Math.min(type.maxDays, Math.max(type.minDays, own));
    return { type: type.type, scope: type.scope, description: type.description, days, defaultDays, minDays: type.minDays, maxDays: type.maxDays, overridden: own !== undefined };
  }

  async function tenantsOf(type: RetentionDataType): Promise<readonly string[]> {
    if (type.scope === 'platform') return [PLATFORM_TENANT_ID];
    if (type.tenants !== undefined) return type.tenants();
    return transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_lifecycle_tenants() as t`.execute(tx)).rows.map((r) => r.t));
  }

  async function purgeOne(type: RetentionDataType, tenantId: string, options: { dryRun: boolean }): Promise<PurgeReport> {
    const policy = await policyFor(type, tenantId);
    const cutoff = new Date(clock.now().getTime() - policy.days * DAY_MS);
    const where = target(tenantId);
    let removed = 0;
    if (options.dryRun) {
      removed = await type.count(where, cutoff);
    } else {
      // Batches until one comes back short: each is its own short transaction.
      for (;;) {
        const n = await type.purge(where, cutoff, deps.batchSize);
        removed += n;
        if (n < deps.batchSize) break;
      }
      if (removed > 0) {
        purged?.inc({ type: type.type }, removed);
        await where.inTransaction((tx) =>
          audit.record(tx, tenantId, { action: 'retention.purged', actor: SYSTEM_ACTOR, outcome: 'success', metadata: { data_type: type.type, removed, retention_days: policy.days, cutoff: cutoff.toISOString() } }),
        );
      }
    }
    return { type: type.type, tenantId, days: policy.days, cutoff: cutoff.toISOString(), removed, dryRun: options.dryRun };
  }

  return {
    registry,
    /** Checks the configured platform defaults against the registry (call once every type is registered). */
    validate: () => void defaultsOf(),
    /** Every type's policy for the platform (tenant types show their platform default). */
    platformPolicies: (): Promise<EffectivePolicy[]> => Promise.all(registry.list().map((type) => policyFor(type, PLATFORM_TENANT_ID))),
    /** The tenant types' policies for one organization. */
    organizationPolicies: async (tenantId: string): Promise<EffectivePolicy[]> => {
      const stored = await overrides(tenantId);
      return Promise.all(registry.list().filter((type) => type.scope === 'tenant').map((type) => policyFor(type, tenantId, stored)));
    },
    /**
     * Sets (or, with null, removes) an organization's overrides; all or nothing. Unknown and
     * platform types are `retention_type_unknown`, values outside a type's bounds `retention_out_of_bounds`.
     */
    setOrganizationPolicies: async (ctx: AuditContext, tenantId: string, changes: Readonly<Record<string, number | null>>): Promise<void> => {
      const entries = Object.entries(changes);
      for (const [name, days] of entries) {
        const type = registry.get(name);
        if (type?.scope !== 'tenant') throw new AppError('retention_type_unknown', { detail: `${name} is not a data type an organization can set (see GET …/retention).` });
        if (days !== null && (days < type.minDays || days > type.maxDays)) {
          throw new AppError('retention_out_of_bounds', { detail: `${name} must be kept between ${type.minDays} and ${type.maxDays} days.` });
        }
      }
      const own = entries.filter(([name]) => registry.get(name)?.setting === undefined);
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          for (const [name, days] of own) {
            if (days === null) {
              await tx.deleteFrom('retention_settings').where('tenant_id', '=', tenantId).where('data_type', '=', name).execute();
            } else {
              await tx
                .insertInto('retention_settings')
                .values({ tenant_id: tenantId, data_type: name, days, updated_by: ctx.userId === '' ? null : ctx.userId, updated_at: clock.now() })
                .onConflict((oc) => oc.columns(['tenant_id', 'data_type']).doUpdateSet({ days, updated_by: ctx.userId === '' ? null : ctx.userId, updated_at: clock.now() }))
                .execute();
            }
            await audit.record(tx, tenantId, { action: 'retention.changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { data_type: name, days } });
          }
        },
        ctx.userId,
      );
      for (const [name, days] of entries) await registry.get(name)?.setting?.set(ctx, tenantId, days);
    },
    /** One pass over every type (or the named ones) and every tenant they apply to. */
    purgeAll: async (options: { dryRun?: boolean; types?: readonly string[] } = {}): Promise<PurgeReport[]> => {
      const reports: PurgeReport[] = [];
      for (const type of registry.list()) {
        if (options.types !== undefined && !options.types.includes(type.type)) continue;
        for (const tenantId of await tenantsOf(type)) reports.push(await purgeOne(type, tenantId, { dryRun: options.dryRun === true }));
      }
      return reports;
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
