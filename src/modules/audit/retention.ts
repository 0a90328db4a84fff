import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { SYSTEM_ACTOR, type AuditContext } from './audit-event.ts';
import type { AuditRecorder } from './audit-recorder.ts';
import type { AuditSigner } from './audit-signer.ts';
import * as store from './audit-store.ts';
import { encodeBase64, formatCheckpoint, frontierRoot, perfectSubtrees, signNote } from './log/index.ts';

import { RETENTION_MARKER } from './retention-format.ts';

export interface RetentionResult {
  readonly tenantId: string;
  readonly firstKeptSeq: number;
  readonly purged: number;
}

/**
 * AUD-3: removes a tenant's events older than its retention period. First it signs a retention
 * checkpoint for the prefix it will remove — size k, the root of the first k leaves, and as
 * extension lines the frontier (the perfect-subtree roots of those k leaves) — so the entries that
 * remain still verify from it; then the owner-run purge function deletes exactly seq < k. Tree
 * nodes (hashes only) are kept so proofs for later entries still work.
 */
export function createRetention(deps: { transactor: AppTransactor; clock: Clock; signer: AuditSigner; audit: AuditRecorder; defaultDays: number }) {
  const { transactor, clock, signer } = deps;

  async function retentionDays(tenantId: string): Promise<number> {
    const row = await transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_settings').select('retention_days').where('tenant_id', '=', tenantId).executeTakeFirst());
    return row?.retention_days ?? deps.defaultDays;
  }

  async function applyToTenant(tenantId: string): Promise<RetentionResult | undefined> {
    const days = await retentionDays(tenantId);
    const cutoff = new Date(clock.now().getTime() - days * 86_400_000);
    return transactor.withTenant(tenantId, async (tx) => {
      const head = await tx.selectFrom('audit_tree_heads').select(['size', 'first_seq']).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
      if (head === undefined) return undefined;
      const firstSeq = Number(head.first_seq);
      // The first event to keep: the oldest one recorded at or after the cutoff (recorded_at grows with seq).
      const keep = await tx.selectFrom('audit_events').select('seq').where('tenant_id', '=', tenantId).where('recorded_at', '>=', cutoff).orderBy('seq').limit(1).executeTakeFirst();
      const k = keep === undefined ? Number(head.size) : Number(keep.seq);
      if (k <= firstSeq) return undefined;
      const frontier = [];
      for (const node of perfectSubtrees(0, k)) {
        const hash = await store.treeNode(tx, tenantId, node.level, node.index);
        if (hash === undefined) throw new Error(`audit tree node (${node.level}, ${node.index}) missing`);
        frontier.push(hash);
      }
      const root = frontierRoot(frontier);
      const body = formatCheckpoint({ origin: signer.origin(tenantId), size: k, root, extensions: [RETENTION_MARKER, ...frontier.map((h) => `frontier ${encodeBase64(h)}`)] });
      const now = clock.now();
      await tx
        .insertInto('audit_checkpoints')
        .values({ tenant_id: tenantId, size: k, kind: 'retention', root: Buffer.from(root), note: signNote(body, signer.signer), key_id: signer.signer.keyId, created_at: now })
        .onConflict((oc) => oc.columns(['tenant_id', 'size', 'kind']).doNothing())
        .execute();
      const purged = await sql<{ n: string }>`select parapet_audit_purge(${k}) as n`.execute(tx);
      const count = Number(purged.rows[0]?.n ?? 0);
      await deps.audit.record(tx, tenantId, { action: 'audit.retention_applied', actor: SYSTEM_ACTOR, outcome: 'success', metadata: { first_kept_seq: k, purged: count, retention_days: days } });
      return { tenantId, firstKeptSeq: k, purged: count };
    });
  }

  return {
    retentionDays,
    /** Sets the tenant's retention and records `audit.retention_changed` in the same transaction. */
    setRetentionDays: (tenantId: string, days: number, ctx: AuditContext) =>
      transactor.withTenant(tenantId, async (tx) => {
        await tx
          .insertInto('audit_settings')
          .values({ tenant_id: tenantId, retention_days: days, updated_at: clock.now() })
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ retention_days: days, updated_at: clock.now() }))
          .execute();
        await deps.audit.record(tx, tenantId, { action: 'audit.retention_changed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { retention_days: days } });
      }),
    applyToTenant,
    /** One pass over every tenant with a non-empty log. */
    applyAll: async (): Promise<RetentionResult[]> => {
      const tenants = await transactor.withJobs(async (tx) => (await sql<{ t: string }>`select parapet_audit_tenants() as t`.execute(tx)).rows.map((r) => r.t));
      const results: RetentionResult[] = [];
      for (const tenantId of tenants) {
        const result = await applyToTenant(tenantId);
        if (result !== undefined) results.push(result);
      }
      return results;
    },
  };
}

export type Retention = ReturnType<typeof createRetention>;
