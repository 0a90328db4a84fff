import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { SecurityAlertsTable } from './alerts-tables.ts';

export type SecurityAlertRow = Selectable<SecurityAlertsTable>;

export async function insertAlert(tx: Tx, row: SecurityAlertRow): Promise<void> {
  await tx.insertInto('security_alerts').values(row).execute();
}

export async function listAlerts(tx: Tx, tenantId: string, filter: { open?: boolean | undefined; after?: string | undefined; limit: number }): Promise<SecurityAlertRow[]> {
  let query = tx.selectFrom('security_alerts').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(filter.limit + 1);
  if (filter.open !== undefined) query = query.where('acknowledged_at', filter.open ? 'is' : 'is not', null);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  return query.execute();
}

export async function acknowledgeAlert(tx: Tx, tenantId: string, id: string, by: string | null, now: Date): Promise<SecurityAlertRow | undefined> {
  const updated = await tx
    .updateTable('security_alerts')
    .set({ acknowledged_at: now, acknowledged_by: by })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('acknowledged_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return updated ?? tx.selectFrom('security_alerts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}
