import type { Tx } from '../../database.ts';

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).

/** A page of an organization's members with their account fields, ordered by user id. */
export async function listMembers(tx: Tx, tenantId: string, page: { after?: string | undefined; limit: number; userId?: string | undefined }) {
  let query = tx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.user_id as id', 'users.email', 'users.display_name', 'memberships.created_at as joined_at'])
    .where('memberships.tenant_id', '=', tenantId)
    .orderBy('memberships.user_id')
    .limit(page.limit + 1);
  if (page.after !== undefined) query = query.where('memberships.user_id', '>', page.after);
  if (page.userId !== undefined) query = query.where('memberships.user_id', '=', page.userId);
  return query.execute();
}

/** When each user last signed in (their newest session's authentication), from the platform's sessions. */
export async function lastSignIns(tx: Tx, userIds: readonly string[]): Promise<Map<string, Date>> {
  if (userIds.length === 0) return new Map();
  const rows = await tx.selectFrom('sessions').select('user_id').select((eb) => eb.fn.max('authenticated_at').as('at')).where('user_id', 'in', [...userIds]).groupBy('user_id').execute();
  return new Map(rows.map((row) => [row.user_id, new Date(row.at as unknown as string | Date)]));
}

/** API keys a user made in the organization that are neither revoked nor past their end. */
export async function liveKeysMadeBy(tx: Tx, tenantId: string, userId: string, now: Date) {
  return tx
    .selectFrom('api_keys')
    .select(['id', 'name', 'mode', 'permissions', 'project_id', 'environment_id', 'expires_at', 'retires_at', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('created_by_type', '=', 'user')
    .where('created_by', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
    .orderBy('id')
    .execute();
}

