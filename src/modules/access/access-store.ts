import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { AccessRolesTable, OrganizationSecurityPoliciesTable, RoleBindingsTable, ServiceAccountsTable } from './access-tables.ts';
import type { MfaMethod, OrgSecurityPolicy } from './org-policy.ts';

export type RoleRow = Selectable<AccessRolesTable>;
export type BindingRow = Selectable<RoleBindingsTable>;
export type ServiceAccountRow = Selectable<ServiceAccountsTable>;

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).

/** What a snapshot is built from, read in one transaction. Undefined when the organization does not exist. */
export async function loadAccessState(tx: Tx, tenantId: string) {
  const org = await tx.selectFrom('organizations').select('id').where('id', '=', tenantId).executeTakeFirst();
  if (org === undefined) return undefined;
  const [members, bindings, roles, environments, disabled, policy] = await Promise.all([
    tx.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).execute(),
    tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).execute(),
    tx.selectFrom('access_roles').select(['id', 'permissions']).where('tenant_id', '=', tenantId).execute(),
    tx.selectFrom('environments').select(['id', 'project_id']).where('tenant_id', '=', tenantId).execute(),
    tx.selectFrom('service_accounts').select('id').where('tenant_id', '=', tenantId).where('disabled_at', 'is not', null).execute(),
    getSecurityPolicy(tx, tenantId),
  ]);
  // A disabled service account's bindings grant nothing.
  const off = new Set(disabled.map((row) => row.id));
  return { members, bindings: off.size === 0 ? bindings : bindings.filter((b) => !off.has(b.principal_id)), roles, environments, policy };
}

/** The organization's stored security policy; undefined when it never changed a default. */
export async function getSecurityPolicy(tx: Tx, tenantId: string): Promise<(OrgSecurityPolicy & { updatedAt: Date; updatedBy: string | null }) | undefined> {
  const row = await tx.selectFrom('organization_security_policies').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  return row === undefined ? undefined : policyOf(row);
}

function policyOf(row: Selectable<OrganizationSecurityPoliciesTable>): OrgSecurityPolicy & { updatedAt: Date; updatedBy: string | null } {
  return {
    mfaRequired: row.mfa_required,
    allowedMfaMethods: row.allowed_mfa_methods as MfaMethod[],
    sessionIdleMinutes: row.session_idle_minutes,
    sessionAbsoluteHours: row.session_absolute_hours,
    ipAllowlist: row.ip_allowlist,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export async function putSecurityPolicy(tx: Tx, tenantId: string, policy: OrgSecurityPolicy, by: string | null, now: Date): Promise<void> {
  const values = {
    mfa_required: policy.mfaRequired,
    allowed_mfa_methods: [...policy.allowedMfaMethods],
    session_idle_minutes: policy.sessionIdleMinutes,
    session_absolute_hours: policy.sessionAbsoluteHours,
    ip_allowlist: [...policy.ipAllowlist],
    updated_by: by,
    updated_at: now,
  };
  await tx
    .insertInto('organization_security_policies')
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
    .execute();
}

export async function listRoles(tx: Tx, tenantId: string): Promise<RoleRow[]> {
  return tx.selectFrom('access_roles').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

export async function getRole(tx: Tx, tenantId: string, id: string): Promise<RoleRow | undefined> {
  return tx.selectFrom('access_roles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertRole(tx: Tx, role: RoleRow): Promise<void> {
  await tx.insertInto('access_roles').values(role).execute();
}

export async function updateRole(tx: Tx, tenantId: string, id: string, changes: Partial<Pick<RoleRow, 'name' | 'description' | 'permissions'>>, now: Date): Promise<RoleRow | undefined> {
  return tx.updateTable('access_roles').set({ ...changes, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteRole(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('access_roles').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function roleInUse(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const row = await tx.selectFrom('role_bindings').select('id').where('tenant_id', '=', tenantId).where('custom_role_id', '=', id).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listBindings(tx: Tx, tenantId: string, filter: { principalId?: string | undefined; after?: string | undefined; limit: number }): Promise<BindingRow[]> {
  let query = tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(filter.limit + 1);
  if (filter.principalId !== undefined) query = query.where('principal_id', '=', filter.principalId);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  return query.execute();
}

/** Every binding of one principal (users and service accounts have distinct ids). */
export async function bindingsOfPrincipal(tx: Tx, tenantId: string, principalId: string): Promise<BindingRow[]> {
  return tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).where('principal_id', '=', principalId).orderBy('id').execute();
}

/**
 * The bindings that keep the organization administered (Tenant Admin of a user over all of it,
 * without conditions or expiry), locked until the transaction ends, in id order (no deadlock).
 */
export async function lockTenantAdminBindings(tx: Tx, tenantId: string): Promise<BindingRow[]> {
  return tx
    .selectFrom('role_bindings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('principal_type', '=', 'user')
    .where('built_in_role', '=', 'tenant_admin')
    .where('project_id', 'is', null)
    .where('conditions', 'is', null)
    .where('expires_at', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
}

export async function getBinding(tx: Tx, tenantId: string, id: string): Promise<BindingRow | undefined> {
  return tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertBinding(tx: Tx, binding: BindingRow): Promise<void> {
  await tx
    .insertInto('role_bindings')
    .values({ ...binding, conditions: binding.conditions === null ? null : sql`${JSON.stringify(binding.conditions)}::jsonb` as never })
    .execute();
}

export async function deleteBinding(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('role_bindings').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Marks bindings used (throttled by the caller: at most once an hour per binding). */
export async function touchBindings(tx: Tx, tenantId: string, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.updateTable('role_bindings').set({ last_used_at: now }).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

export async function isMember(tx: Tx, tenantId: string, userId: string): Promise<boolean> {
  const row = await tx.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

export async function getServiceAccount(tx: Tx, tenantId: string, id: string): Promise<ServiceAccountRow | undefined> {
  return tx.selectFrom('service_accounts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** Makes `userId` Tenant Admin of a new organization (its creator). */
export async function grantCreator(tx: Tx, tenantId: string, userId: string, now: Date, id: string): Promise<void> {
  await insertBinding(tx, {
    tenant_id: tenantId,
    id,
    principal_type: 'user',
    principal_id: userId,
    built_in_role: 'tenant_admin',
    custom_role_id: null,
    project_id: null,
    environment_id: null,
    conditions: null,
    expires_at: null,
    grant_id: null,
    created_by: userId,
    created_at: now,
    last_used_at: null,
  });
}
