import type { Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { AccessRequestsTable, AccessRequestStatus, ApprovalStatus, RiskyWriteApprovalsTable, RiskyWritesMode } from './access-requests-tables.ts';

export type AccessRequestRow = Selectable<AccessRequestsTable>;
export type ApprovalRow = Selectable<RiskyWriteApprovalsTable>;

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).

export async function insertRequest(tx: Tx, row: AccessRequestRow): Promise<void> {
  await tx.insertInto('access_requests').values(row).execute();
}

export async function getRequest(tx: Tx, tenantId: string, id: string): Promise<AccessRequestRow | undefined> {
  return tx.selectFrom('access_requests').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** Requests of the organization; with `involving`, only those that user made or would receive. */
export async function listRequests(tx: Tx, tenantId: string, filter: { involving?: string | undefined; status?: AccessRequestStatus | undefined; after?: string | undefined; limit: number }): Promise<AccessRequestRow[]> {
  let query = tx.selectFrom('access_requests').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(filter.limit + 1);
  const involving = filter.involving;
  if (involving !== undefined) query = query.where((eb) => eb.or([eb('requester_id', '=', involving), eb('principal_id', '=', involving)]));
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  return query.execute();
}

export async function countPending(tx: Tx, tenantId: string, requesterId: string): Promise<number> {
  const row = await tx
    .selectFrom('access_requests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('requester_id', '=', requesterId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Moves a request from `from` to a new state; undefined when it was not in `from` (someone else got there first). */
export async function transitionRequest(
  tx: Tx,
  tenantId: string,
  id: string,
  from: AccessRequestStatus,
  changes: Partial<Pick<AccessRequestRow, 'status' | 'decided_by' | 'decided_at' | 'binding_id' | 'expires_at'>>,
): Promise<AccessRequestRow | undefined> {
  return tx.updateTable('access_requests').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).where('status', '=', from).returningAll().executeTakeFirst();
}

export async function riskyWritesMode(tx: Tx, tenantId: string): Promise<{ mode: RiskyWritesMode; updated_at: Date | null; updated_by: string | null }> {
  const row = await tx.selectFrom('organization_settings').select(['risky_writes', 'updated_at', 'updated_by']).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row === undefined ? { mode: 'disabled', updated_at: null, updated_by: null } : { mode: row.risky_writes, updated_at: row.updated_at, updated_by: row.updated_by };
}

export async function setRiskyWritesMode(tx: Tx, tenantId: string, mode: RiskyWritesMode, by: string | null, now: Date): Promise<void> {
  await tx
    .insertInto('organization_settings')
    .values({ tenant_id: tenantId, risky_writes: mode, updated_by: by, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ risky_writes: mode, updated_by: by, updated_at: now }))
    .execute();
}

export async function insertApproval(tx: Tx, row: Omit<ApprovalRow, 'params'> & { params: Readonly<Record<string, string>> }): Promise<void> {
  await tx
    .insertInto('risky_write_approvals')
    .values({ ...row, params: JSON.stringify(row.params) })
    .execute();
}

export async function getApproval(tx: Tx, tenantId: string, id: string): Promise<ApprovalRow | undefined> {
  return tx.selectFrom('risky_write_approvals').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listApprovals(tx: Tx, tenantId: string, filter: { status?: ApprovalStatus | undefined; after?: string | undefined; limit: number }): Promise<ApprovalRow[]> {
  let query = tx.selectFrom('risky_write_approvals').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(filter.limit + 1);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  return query.execute();
}

/** Decides a pending approval; undefined when it was no longer pending. */
export async function decideApproval(tx: Tx, tenantId: string, id: string, status: ApprovalStatus, by: string, now: Date): Promise<ApprovalRow | undefined> {
  return tx
    .updateTable('risky_write_approvals')
    .set({ status, decided_by: by, decided_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

/** Withdraws the pending just-in-time requests a removed member made or was named in: approving one later must not bring them back. */
export async function cancelPendingRequests(tx: Tx, tenantId: string, userId: string, now: Date): Promise<number> {
  const result = await tx
    .updateTable('access_requests')
    .set({ status: 'cancelled', decided_at: now })
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('requester_id', '=', userId), eb('principal_id', '=', userId)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
