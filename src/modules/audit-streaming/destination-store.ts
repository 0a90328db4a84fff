import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { FieldContext } from '../keys/index.ts';
import { streamingTx, type AuditDeliveryCursorsTable, type AuditDestinationsTable } from './streaming-tables.ts';

export type DestinationRow = Selectable<AuditDestinationsTable>;
export type CursorRow = Selectable<AuditDeliveryCursorsTable>;
export type DestinationPatch = Omit<Updateable<AuditDestinationsTable>, 'tenant_id' | 'id' | 'kind' | 'created_at' | 'secret_sealed'>;

/** A destination with its delivery state, as listed and read. */
export type DestinationWithCursor = DestinationRow & { readonly cursor: CursorRow };

/** Where a destination's webhook secret is sealed: bound to its tenant, table, column and row. */
export function secretFieldContext(tenantId: string, destinationId: string): FieldContext {
  return { tenantId, table: 'audit_destinations', column: 'secret_sealed', rowId: destinationId };
}

// Every statement runs inside the tenant's own withTenant transaction; queries still name
// tenant_id so they stay correct on a sharded deployment.

export async function insertDestination(tx: Tx, row: Insertable<AuditDestinationsTable>, cursor: Insertable<AuditDeliveryCursorsTable>): Promise<void> {
  const db = streamingTx(tx);
  await db.insertInto('audit_destinations').values(row).execute();
  await db.insertInto('audit_delivery_cursors').values(cursor).execute();
}

async function attachCursors(tx: Tx, tenantId: string, rows: DestinationRow[]): Promise<DestinationWithCursor[]> {
  if (rows.length === 0) return [];
  const cursors = await streamingTx(tx)
    .selectFrom('audit_delivery_cursors')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('destination_id', 'in', rows.map((r) => r.id))
    .execute();
  const byId = new Map(cursors.map((c) => [c.destination_id, c]));
  return rows.flatMap((row) => {
    const cursor = byId.get(row.id);
    return cursor === undefined ? [] : [{ ...row, cursor }];
  });
}

export async function listDestinations(tx: Tx, tenantId: string, after: string | undefined, limit: number): Promise<DestinationWithCursor[]> {
  let query = streamingTx(tx).selectFrom('audit_destinations').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return attachCursors(tx, tenantId, await query.execute());
}

export async function getDestination(tx: Tx, tenantId: string, id: string): Promise<DestinationWithCursor | undefined> {
  const row = await streamingTx(tx).selectFrom('audit_destinations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : (await attachCursors(tx, tenantId, [row]))[0];
}

/** The enabled destinations whose next attempt is due. */
export async function dueDestinations(tx: Tx, tenantId: string, now: Date): Promise<string[]> {
  const rows = await streamingTx(tx)
    .selectFrom('audit_destinations as d')
    .innerJoin('audit_delivery_cursors as c', (join) => join.onRef('c.tenant_id', '=', 'd.tenant_id').onRef('c.destination_id', '=', 'd.id'))
    .select('d.id')
    .where('d.tenant_id', '=', tenantId)
    .where('d.enabled', '=', true)
    .where('c.next_attempt_at', '<=', now)
    .orderBy('d.id')
    .execute();
  return rows.map((r) => r.id);
}

export async function updateDestination(tx: Tx, tenantId: string, id: string, patch: DestinationPatch): Promise<boolean> {
  const result = await streamingTx(tx).updateTable('audit_destinations').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteDestination(tx: Tx, tenantId: string, id: string): Promise<DestinationRow | undefined> {
  return streamingTx(tx).deleteFrom('audit_destinations').where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Makes a destination due now (after it was re-enabled or its target changed): no stale backoff. */
export async function resetBackoff(tx: Tx, tenantId: string, id: string, now: Date): Promise<void> {
  await streamingTx(tx).updateTable('audit_delivery_cursors').set({ attempts: 0, next_attempt_at: now }).where('tenant_id', '=', tenantId).where('destination_id', '=', id).execute();
}

/**
 * Moves the cursor past what the destination acknowledged. The `next_seq = from` condition makes
 * it a compare-and-set: a concurrent delivery of the same range cannot move it twice.
 */
export async function advanceCursor(tx: Tx, tenantId: string, id: string, from: number, to: { nextSeq: number; checkpointSize: number }, now: Date): Promise<boolean> {
  const result = await streamingTx(tx)
    .updateTable('audit_delivery_cursors')
    .set({ next_seq: to.nextSeq, last_checkpoint_size: to.checkpointSize, attempts: 0, next_attempt_at: now, last_error: null, last_delivered_at: now })
    .where('tenant_id', '=', tenantId)
    .where('destination_id', '=', id)
    .where('next_seq', '=', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records a failed attempt; the cursor stays where it is. */
export async function recordFailure(tx: Tx, tenantId: string, id: string, attempts: number, nextAttemptAt: Date, error: string): Promise<void> {
  await streamingTx(tx)
    .updateTable('audit_delivery_cursors')
    .set({ attempts, next_attempt_at: nextAttemptAt, last_error: error.slice(0, 500) })
    .where('tenant_id', '=', tenantId)
    .where('destination_id', '=', id)
    .execute();
}
