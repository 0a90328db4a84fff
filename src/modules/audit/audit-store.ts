import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { AuditCheckpointsTable, AuditEventsTable } from './audit-tables.ts';

export type AuditEventRow = Selectable<AuditEventsTable>;
export type AuditCheckpointRow = Selectable<AuditCheckpointsTable>;

export interface AuditFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly actorId?: string;
  readonly actionPrefix?: string;
  readonly targetId?: string;
  readonly outcome?: string;
  readonly ip?: string;
}

/** Events newest first (by seq), filtered; `beforeSeq` continues a previous page. */
export async function listEvents(tx: Tx, tenantId: string, filter: AuditFilter, beforeSeq: number | undefined, limit: number): Promise<AuditEventRow[]> {
  return listEventsQuery(tx, tenantId, filter, beforeSeq, limit).execute();
}

/** The query `listEvents` runs (tests read its plan). */
export function listEventsQuery(tx: Tx, tenantId: string, filter: AuditFilter, beforeSeq: number | undefined, limit: number) {
  let query = tx.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
  if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
  if (filter.from !== undefined) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('occurred_at', '<', filter.to);
  if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
  // `^@` (starts_with) is leakproof, so under row-level security the planner may still turn it into
  // a range on audit_events_action_idx (text_pattern_ops); `LIKE` is not, and would scan every
  // event of the tenant (docs/benchmarks-audit.md §4). It also matches `%` and `_` literally.
  if (filter.actionPrefix !== undefined) query = query.where('action', '^@', filter.actionPrefix);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.ip !== undefined) query = query.where('ip', '=', filter.ip);
  if (filter.targetId !== undefined) query = query.where((eb) => eb(eb.val(filter.targetId), '=', eb.fn.any('target_ids')));
  return query.orderBy('seq', 'desc').limit(limit + 1);
}

/** Events in seq order from `fromSeq`, for export and verification. */
export async function eventsFrom(tx: Tx, tenantId: string, fromSeq: number, limit: number): Promise<AuditEventRow[]> {
  return tx.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute();
}

export async function findEvent(tx: Tx, tenantId: string, id: string): Promise<AuditEventRow | undefined> {
  return tx.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function checkpoints(tx: Tx, tenantId: string): Promise<AuditCheckpointRow[]> {
  return tx.selectFrom('audit_checkpoints').selectAll().where('tenant_id', '=', tenantId).orderBy('size').orderBy('kind').execute();
}

/** The newest regular checkpoint that covers `seq` (size > seq), or the one of exactly `size`. */
export async function checkpointCovering(tx: Tx, tenantId: string, seq: number, size?: number): Promise<AuditCheckpointRow | undefined> {
  let query = tx.selectFrom('audit_checkpoints').selectAll().where('tenant_id', '=', tenantId).where('kind', '=', 'regular');
  query = size === undefined ? query.where('size', '>', seq).orderBy('size', 'desc') : query.where('size', '=', size);
  return query.limit(1).executeTakeFirst();
}

/**
 * The hash of perfect subtree (`level`, `index`). A leaf (level 0) is read from its event's
 * `leaf_hash`; the sequencer stores no separate node for it. Leaves of purged events, and those of
 * logs sequenced before migration 0006, are in audit_tree_nodes.
 */
export async function treeNode(tx: Tx, tenantId: string, level: number, index: number): Promise<Uint8Array | undefined> {
  if (level === 0) {
    const leaf = await tx.selectFrom('audit_events').select('leaf_hash').where('tenant_id', '=', tenantId).where('seq', '=', index).executeTakeFirst();
    if (leaf !== undefined) return leaf.leaf_hash;
  }
  const row = await tx.selectFrom('audit_tree_nodes').select('hash').where('tenant_id', '=', tenantId).where('level', '=', level).where('index', '=', index).executeTakeFirst();
  return row?.hash;
}
