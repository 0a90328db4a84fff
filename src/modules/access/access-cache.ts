import type { AppTransactor } from '../../database.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { compileConditions } from './conditions.ts';
import type { AccessSnapshot, CompiledBinding } from './evaluator.ts';
import { BUILT_IN_ROLES, isPermission, type Permission } from './permissions.ts';
import { loadAccessState } from './access-store.ts';

/** The change-feed topic: its key is a tenant id whose bindings, roles, members or hierarchy changed. */
export const ACCESS_TOPIC = 'access';

export interface AccessCache {
  /** The organization's snapshot, loading it if needed; undefined when the organization does not exist. */
  get(tenantId: string): Promise<AccessSnapshot | undefined>;
  /** Drops a tenant's snapshot on this node (other nodes hear of it through the change feed). */
  invalidate(tenantId: string): void;
  readonly size: number;
}

const BUILT_IN_PERMISSIONS = new Map(Object.values(BUILT_IN_ROLES).map((role) => [role.key, new Set<Permission>(role.permissions)]));

type AccessState = NonNullable<Awaited<ReturnType<typeof loadAccessState>>>;

export function compileSnapshot(tenantId: string, state: AccessState): AccessSnapshot {
  const roles = new Map(state.roles.map((role) => [role.id, new Set(role.permissions.filter(isPermission))]));
  const bindings = new Map<string, CompiledBinding[]>();
  for (const row of state.bindings) {
    const permissions = row.built_in_role !== null ? BUILT_IN_PERMISSIONS.get(row.built_in_role) : roles.get(row.custom_role_id ?? '');
    if (permissions === undefined) continue;
    const compiled: CompiledBinding = {
      id: row.id,
      role: row.built_in_role ?? row.custom_role_id ?? '',
      permissions,
      projectId: row.project_id ?? undefined,
      environmentId: row.environment_id ?? undefined,
      conditions: compileConditions(row.conditions ?? undefined),
      expiresAt: row.expires_at?.getTime(),
      grantId: row.grant_id ?? undefined,
    };
    const list = bindings.get(row.principal_id);
    if (list === undefined) bindings.set(row.principal_id, [compiled]);
    else list.push(compiled);
  }
  return {
    tenantId,
    environmentProjects: new Map(state.environments.map((env) => [env.id, env.project_id])),
    members: new Set(state.members.map((m) => m.user_id)),
    bindings,
  };
}

/**
 * Per-organization snapshots held in memory (AC-1: decisions run in process on cached bindings).
 * A change anywhere reaches every node through the change feed, which drops the snapshot; the
 * next decision reloads it. `maxAgeMs` bounds how long a snapshot lives even if a notification
 * were lost, and a load that overlaps an invalidation is not kept.
 */
export function createAccessCache(deps: { transactor: AppTransactor; feed: ChangeFeed | undefined; maxAgeMs?: number; maxTenants?: number }): AccessCache & { close(): void } {
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  const maxTenants = deps.maxTenants ?? 10_000;
  const entries = new Map<string, { snapshot: AccessSnapshot | undefined; loadedAt: number }>();
  const loading = new Map<string, Promise<AccessSnapshot | undefined>>();
  const generations = new Map<string, number>();
  let epoch = 0;

  function invalidate(tenantId: string): void {
    entries.delete(tenantId);
    loading.delete(tenantId);
    generations.set(tenantId, (generations.get(tenantId) ?? 0) + 1);
  }
  function reset(): void {
    entries.clear();
    loading.clear();
    generations.clear();
    epoch++;
  }
  const unsubscribe = deps.feed?.subscribe(ACCESS_TOPIC, invalidate, reset);

  async function load(tenantId: string): Promise<AccessSnapshot | undefined> {
    const generation = generations.get(tenantId) ?? 0;
    const startEpoch = epoch;
    const state = await deps.transactor.withTenant(tenantId, (tx) => loadAccessState(tx, tenantId));
    const snapshot = state === undefined ? undefined : compileSnapshot(tenantId, state);
    if ((generations.get(tenantId) ?? 0) === generation && epoch === startEpoch) {
      if (entries.size >= maxTenants) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(tenantId, { snapshot, loadedAt: Date.now() });
    }
    return snapshot;
  }

  return {
    get: async (tenantId) => {
      const entry = entries.get(tenantId);
      if (entry !== undefined && Date.now() - entry.loadedAt < maxAgeMs) return entry.snapshot;
      let pending = loading.get(tenantId);
      if (pending === undefined) {
        pending = load(tenantId).finally(() => {
          if (loading.get(tenantId) === pending) loading.delete(tenantId);
        });
        loading.set(tenantId, pending);
      }
      return pending;
    },
    invalidate,
    get size() {
      return entries.size;
    },
    close: () => {
      unsubscribe?.();
    },
  };
}
