import type { AppTransactor } from '../../database.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { AccessSnapshot } from './evaluator.ts';
import { BUILT_IN_ROLES } from './permissions.ts';
import { loadAccessState } from './access-store.ts';
import type { BindingIntegrity } from './binding-integrity.ts';
import { compileSerializedSnapshot, serializeSnapshot, type SnapshotSource } from './snapshot-format.ts';

/** The change-feed topic: its key is a tenant id whose bindings, roles, members or hierarchy changed. */
export const ACCESS_TOPIC = 'access';

export interface AccessCache {
  /** The organization's snapshot, loading it if needed; undefined when the organization does not exist. */
  get(tenantId: string): Promise<AccessSnapshot | undefined>;
  /** Drops a tenant's snapshot on this node (other nodes hear of it through the change feed). */
  invalidate(tenantId: string): void;
}

type AccessState = NonNullable<Awaited<ReturnType<typeof loadAccessState>>>;

/** Resolves each binding's role to its permissions; bindings of a missing custom role are dropped. */
export function snapshotSource(tenantId: string, state: AccessState, now: Date): SnapshotSource {
  const roles = new Map(state.roles.map((role) => [role.id, role.permissions]));
  const bindings = [];
  for (const row of state.bindings) {
    const permissions = row.built_in_role !== null ? BUILT_IN_ROLES[row.built_in_role].permissions : roles.get(row.custom_role_id ?? '');
    if (permissions === undefined) continue;
    bindings.push({
      id: row.id,
      principal_id: row.principal_id,
      role: row.built_in_role ?? row.custom_role_id ?? '',
      permissions,
      project_id: row.project_id,
      environment_id: row.environment_id,
      conditions: row.conditions,
      expires_at: row.expires_at,
      grant_id: row.grant_id,
    });
  }
  return { tenantId, generatedAt: now, members: state.members.map((m) => m.user_id), environments: state.environments, bindings, policy: state.policy };
}

/** One compile path for the server and SDKs: through the wire format. */
export function compileSnapshot(source: SnapshotSource): AccessSnapshot {
  return compileSerializedSnapshot(serializeSnapshot(source));
}

/**
 * Per-organization snapshots held in memory (AC-1: decisions run in process on cached bindings).
 * A change anywhere reaches every node through the change feed, which drops the snapshot; the
 * next decision reloads it. `maxAgeMs` bounds how long a snapshot lives even if a notification
 * were lost, and a load that overlaps an invalidation is not kept.
 */
export function createAccessCache(deps: { transactor: AppTransactor; feed: ChangeFeed | undefined; integrity: BindingIntegrity; maxAgeMs?: number; maxTenants?: number }): AccessCache & { close(): void } {
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  const maxTenants = deps.maxTenants ?? 10_000;
  const entries = new Map<string, { snapshot: AccessSnapshot | undefined; loadedAt: number }>();
  const loading = new Map<string, Promise<AccessSnapshot | undefined>>();
  const generations = new Map<string, number>();
  let epoch = 0;

  function invalidate(rawTenantId: string): void {
    // Ids arrive as the client spelled them (UUIDs are case-insensitive); one spelling keys the cache.
    const tenantId = rawTenantId.toLowerCase();
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
    const state = await deps.transactor.withTenant(tenantId, (tx) => loadAccessState(tx, deps.integrity, tenantId));
    const snapshot = state === undefined ? undefined : compileSnapshot(snapshotSource(tenantId, state, new Date()));
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
    get: async (rawTenantId) => {
      const tenantId = rawTenantId.toLowerCase();
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
    close: () => {
      unsubscribe?.();
    },
  };
}
