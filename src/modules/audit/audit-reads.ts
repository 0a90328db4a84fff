import type { Tx } from '../../database.ts';

// What other modules read of the audit tables (the log's head, checkpoints, settings and events),
// named here so that audit stays the only SQL on them (issue 12). Each runs in the caller's
// transaction under its tenant context.

/** The log's head: its size (next sequence number) and the first entry retention kept; undefined before the first entry. */
export async function treeHead(tx: Tx, tenantId: string): Promise<{ firstSeq: number; size: number } | undefined> {
  const row = await tx.selectFrom('audit_tree_heads').select(['first_seq', 'size']).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row === undefined ? undefined : { firstSeq: Number(row.first_seq), size: Number(row.size) };
}

/** The log's size (0 before the first entry). */
export async function treeSize(tx: Tx, tenantId: string): Promise<number> {
  return (await treeHead(tx, tenantId))?.size ?? 0;
}

/** Checkpoints with `afterSize < size <= upToSize`, by size then kind, at most `limit`. */
export async function checkpointsBetween(tx: Tx, tenantId: string, afterSize: number, upToSize: number, limit: number) {
  return tx.selectFrom('audit_checkpoints').selectAll().where('tenant_id', '=', tenantId).where('size', '>', afterSize).where('size', '<=', upToSize).orderBy('size').orderBy('kind').limit(limit).execute();
}

/** Whether a signed retention checkpoint sits exactly at `size` (where a purged log must start). */
export async function hasRetentionCheckpointAt(tx: Tx, tenantId: string, size: number): Promise<boolean> {
  return (await tx.selectFrom('audit_checkpoints').select('size').where('tenant_id', '=', tenantId).where('kind', '=', 'retention').where('size', '=', size).executeTakeFirst()) !== undefined;
}

/** The organization's own retention setting in days, undefined when it keeps the default. */
export async function retentionDaysSetting(tx: Tx, tenantId: string): Promise<number | undefined> {
  return (await tx.selectFrom('audit_settings').select('retention_days').where('tenant_id', '=', tenantId).executeTakeFirst())?.retention_days;
}

/** How many entries were recorded before `cutoff`. */
export async function countRecordedBefore(tx: Tx, tenantId: string, cutoff: Date): Promise<number> {
  const result = await tx.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).where('recorded_at', '<', cutoff).executeTakeFirst();
  return Number(result?.n ?? 0);
}

/** When the entry at `seq` occurred, undefined when it is not stored. */
export async function occurredAt(tx: Tx, tenantId: string, seq: number): Promise<Date | undefined> {
  return (await tx.selectFrom('audit_events').select('occurred_at').where('tenant_id', '=', tenantId).where('seq', '=', seq).executeTakeFirst())?.occurred_at;
}

/** The newest entry of `action` (successful ones only when asked), with its canonical bytes. */
export async function newestOf(tx: Tx, tenantId: string, action: string, options: { successOnly?: boolean } = {}): Promise<{ occurredAt: Date; canonical: Uint8Array } | undefined> {
  let query = tx.selectFrom('audit_events').select(['occurred_at', 'canonical']).where('tenant_id', '=', tenantId).where('action', '=', action);
  if (options.successOnly === true) query = query.where('outcome', '=', 'success');
  const row = await query.orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : { occurredAt: row.occurred_at, canonical: row.canonical };
}

/** The newest `limit` entries a user acted in, newest first, as canonical bytes (the DATA-2 export). */
export async function actorEntries(tx: Tx, tenantId: string, userId: string, limit: number): Promise<Uint8Array[]> {
  return (await tx.selectFrom('audit_events').select('canonical').where('tenant_id', '=', tenantId).where('actor_id', '=', userId).orderBy('seq', 'desc').limit(limit).execute()).map((row) => row.canonical);
}
