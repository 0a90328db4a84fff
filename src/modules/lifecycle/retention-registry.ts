import type { Tx } from '../../database.ts';
import type { AuditContext } from '../audit/index.ts';

/** Where a data type's rows live: platform tables (one policy) or tenant tables (per-organization overrides). */
export type RetentionScope = 'platform' | 'tenant';

/**
 * What one purge call acts on: a tenant (or the platform, tenant id `00000000-…`), and a way to
 * run one short transaction in that context (withTenant / withPlatform).
 */
export interface PurgeTarget {
  readonly tenantId: string;
  inTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * A kind of data with a retention period (DATA-1). Modules contribute their own (the secrets vault
 * registers `secret_versions`, for instance) with `registry.register(type)`.
 */
export interface RetentionDataType {
  /** Stable snake_case name used in config (`PARAPET_RETENTION_DAYS`), the API and the CLI. */
  readonly type: string;
  /** What is removed once it is older than the period, for the docs, the API and the CLI. */
  readonly description: string;
  readonly defaultDays: number;
  readonly minDays: number;
  readonly maxDays: number;
  readonly scope: RetentionScope;
  /**
   * Removes at most `batchSize` rows whose retention clock started before `cutoff` and returns how
   * many it removed. The runner calls it again while it returns `batchSize`, each call in its own
   * transaction, so no statement is unbounded. Must never touch a row at or after `cutoff`.
   */
  purge(target: PurgeTarget, cutoff: Date, batchSize: number): Promise<number>;
  /** Rows `purge` would remove (for `--dry-run`). */
  count(target: PurgeTarget, cutoff: Date): Promise<number>;
  /** For tenant types: the tenants to visit (default: every organization). */
  tenants?(): Promise<readonly string[]>;
  /**
   * For tenant types whose per-organization setting already lives elsewhere (the audit log's own
   * retention): read and write it there instead of `retention_settings`.
   */
  readonly setting?: {
    get(tenantId: string): Promise<number | undefined>;
    set(ctx: AuditContext, tenantId: string, days: number | null): Promise<void>;
  };
}

export interface RetentionRegistry {
  register(type: RetentionDataType): void;
  get(type: string): RetentionDataType | undefined;
  list(): readonly RetentionDataType[];
}

/** An open registry of data types; names are unique and bounds consistent (checked at registration). */
export function createRetentionRegistry(): RetentionRegistry {
  const types = new Map<string, RetentionDataType>();
  return {
    register: (type) => {
      if (!/^[a-z][a-z0-9_]{1,62}$/.test(type.type)) throw new Error(`retention type ${JSON.stringify(type.type)}: expected a snake_case name`);
      if (types.has(type.type)) throw new Error(`retention type ${type.type} registered twice`);
      if (!(Number.isInteger(type.minDays) && type.minDays >= 0 && type.minDays <= type.defaultDays && type.defaultDays <= type.maxDays)) {
        throw new Error(`retention type ${type.type}: expected 0 <= minDays <= defaultDays <= maxDays`);
      }
      types.set(type.type, Object.freeze({ ...type }));
    },
    get: (type) => types.get(type),
    list: () => [...types.values()].sort((a, b) => a.type.localeCompare(b.type)),
  };
}

/**
 * Platform defaults from config (`PARAPET_RETENTION_DAYS`) checked against the registry: an unknown
 * type or a value outside a type's bounds stops start-up with a message naming the option.
 */
export function platformDefaults(registry: RetentionRegistry, configured: Readonly<Record<string, number>>): ReadonlyMap<string, number> {
  const defaults = new Map<string, number>();
  for (const [name, days] of Object.entries(configured)) {
    const type = registry.get(name);
    if (type === undefined) throw new Error(`PARAPET_RETENTION_DAYS: unknown data type ${name} (known: ${registry.list().map((t) => t.type).join(', ')})`);
    if (type.setting !== undefined) throw new Error(`PARAPET_RETENTION_DAYS: ${name} has its own option (PARAPET_AUDIT_RETENTION_DAYS for the audit log)`);
    if (days < type.minDays || days > type.maxDays) throw new Error(`PARAPET_RETENTION_DAYS: ${name}=${days} is outside ${type.minDays}–${type.maxDays} days`);
  }
  for (const type of registry.list()) defaults.set(type.type, configured[type.type] ?? type.defaultDays);
  return defaults;
}
