import { sql, type Selectable } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { AccessRolesTable, OrganizationSecurityPoliciesTable, RoleBindingsTable, ServiceAccountsTable } from './access-tables.ts';
import type { MfaMethod, OrgSecurityPolicy } from './org-policy.ts';
import { bindingMac, bindingValid, roleMac, roleValid, type BindingIntegrity, type RoleIdentity, type UnsealedBinding } from './binding-integrity.ts';
import { tenancy } from '../tenants/index.ts';

export type RoleRow = Selectable<AccessRolesTable>;
/** A custom role as callers build one before the insert (its MAC is computed there). */
export type UnsealedRole = Omit<RoleRow, 'integrity_mac'>;
export type BindingRow = Selectable<RoleBindingsTable>;
export type ServiceAccountRow = Selectable<ServiceAccountsTable>;

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).
// Issue 13: a role binding whose MAC does not verify was not written by the application (or was
// altered since): every read below treats it as absent, so it grants nothing.

/** What a snapshot is built from, read in one transaction. Undefined when the organization does not exist. */
export async function loadAccessState(tx: Tx, integrity: BindingIntegrity, tenantId: string) {
  if (!(await tenancy.organizationExists(tx, tenantId))) return undefined;
  const [memberIds, bindings, roles, environments, disabled, policy] = await Promise.all([
    tenancy.memberUserIds(tx, tenantId),
    tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).execute(),
    tx.selectFrom('access_roles').select(['tenant_id', 'id', 'permissions', 'created_at', 'integrity_mac']).where('tenant_id', '=', tenantId).execute(),
    tenancy.environmentScopes(tx, tenantId),
    tx.selectFrom('service_accounts').select('id').where('tenant_id', '=', tenantId).where('disabled_at', 'is not', null).execute(),
    getSecurityPolicy(tx, tenantId),
  ]);
  // A disabled service account's bindings grant nothing.
  const off = new Set(disabled.map((row) => row.id));
  const sealed = bindings.filter((b) => bindingValid(integrity, b));
  // A custom role without a valid MAC is absent: a binding to it grants nothing.
  const sealedRoles = roles.filter((role) => roleValid(integrity, role)).map(({ id, permissions }) => ({ id, permissions }));
  const members = memberIds.map((user_id) => ({ user_id }));
  return { members, bindings: off.size === 0 ? sealed : sealed.filter((b) => !off.has(b.principal_id)), roles: sealedRoles, environments, policy };
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
    acceptIdpMfa: row.accept_idp_mfa,
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
    accept_idp_mfa: policy.acceptIdpMfa === true,
    updated_by: by,
    updated_at: now,
  };
  await tx
    .insertInto('organization_security_policies')
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
    .execute();
}

/** The organization's custom roles whose MAC verifies (issue 13: a role written by SQL is absent). */
export async function listRoles(tx: Tx, integrity: BindingIntegrity, tenantId: string): Promise<RoleRow[]> {
  const rows = await tx.selectFrom('access_roles').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.filter((row) => roleValid(integrity, row));
}

export async function getRole(tx: Tx, integrity: BindingIntegrity, tenantId: string, id: string): Promise<RoleRow | undefined> {
  const row = await tx.selectFrom('access_roles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row !== undefined && roleValid(integrity, row) ? row : undefined;
}

/** Inserts a custom role with its MAC. */
export async function insertRole(tx: Tx, integrity: BindingIntegrity, role: UnsealedRole): Promise<RoleRow> {
  const row = { ...role, integrity_mac: roleMac(integrity, role) };
  await tx.insertInto('access_roles').values(row).execute();
  return row;
}

/** Changes a custom role whose MAC verifies, re-MACing it in the same statement; undefined when there is none. */
export async function updateRole(tx: Tx, integrity: BindingIntegrity, tenantId: string, id: string, changes: Partial<Pick<RoleRow, 'name' | 'description' | 'permissions'>>, now: Date): Promise<RoleRow | undefined> {
  const current = await tx.selectFrom('access_roles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (current === undefined || !roleValid(integrity, current)) return undefined;
  const permissions = changes.permissions ?? current.permissions;
  return tx
    .updateTable('access_roles')
    .set({ ...changes, updated_at: now, integrity_mac: roleMac(integrity, { tenant_id: tenantId, id: current.id, permissions, created_at: current.created_at }) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteRole(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('access_roles').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function roleInUse(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const row = await tx.selectFrom('role_bindings').select('id').where('tenant_id', '=', tenantId).where('custom_role_id', '=', id).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Up to `limit + 1` bindings after `after`, in id order; forged rows are skipped without ending the page early. */
export async function listBindings(tx: Tx, integrity: BindingIntegrity, tenantId: string, filter: { principalId?: string | undefined; after?: string | undefined; limit: number }): Promise<BindingRow[]> {
  const kept: BindingRow[] = [];
  let cursor = filter.after;
  for (;;) {
    let query = tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(filter.limit + 1);
    if (filter.principalId !== undefined) query = query.where('principal_id', '=', filter.principalId);
    if (cursor !== undefined) query = query.where('id', '>', cursor);
    const rows = await query.execute();
    kept.push(...rows.filter((row) => bindingValid(integrity, row)));
    if (rows.length <= filter.limit || kept.length > filter.limit) return kept.slice(0, filter.limit + 1);
    cursor = rows.at(-1)?.id;
  }
}

/** Every binding of one principal (users and service accounts have distinct ids). */
export async function bindingsOfPrincipal(tx: Tx, integrity: BindingIntegrity, tenantId: string, principalId: string): Promise<BindingRow[]> {
  const rows = await tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).where('principal_id', '=', principalId).orderBy('id').execute();
  return rows.filter((row) => bindingValid(integrity, row));
}

/**
 * The bindings that keep the organization administered (Tenant Admin of a user over all of it,
 * without conditions or expiry), in id order; with `lock`, locked until the transaction ends (id
 * order: no deadlock). Also who owns the organization for other modules (lifecycle's owners).
 */
export async function tenantAdminBindings(tx: Tx, integrity: BindingIntegrity, tenantId: string, lock = false): Promise<BindingRow[]> {
  const query = tx
    .selectFrom('role_bindings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('principal_type', '=', 'user')
    .where('built_in_role', '=', 'tenant_admin')
    .where('project_id', 'is', null)
    .where('conditions', 'is', null)
    .where('expires_at', 'is', null)
    .orderBy('id');
  const rows = await (lock ? query.forUpdate() : query).execute();
  return rows.filter((row) => bindingValid(integrity, row));
}

/** {@link tenantAdminBindings}, locked until the transaction ends. */
export function lockTenantAdminBindings(tx: Tx, integrity: BindingIntegrity, tenantId: string): Promise<BindingRow[]> {
  return tenantAdminBindings(tx, integrity, tenantId, true);
}

/** The unexpired bindings of the given users, in id order (the members listing shows them). */
export async function bindingsOfUsers(tx: Tx, integrity: BindingIntegrity, tenantId: string, userIds: readonly string[], now: Date): Promise<BindingRow[]> {
  if (userIds.length === 0) return [];
  const rows = await tx
    .selectFrom('role_bindings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('principal_type', '=', 'user')
    .where('principal_id', 'in', [...userIds])
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('id')
    .execute();
  return rows.filter((row) => bindingValid(integrity, row));
}

export async function getBinding(tx: Tx, integrity: BindingIntegrity, tenantId: string, id: string): Promise<BindingRow | undefined> {
  const row = await tx.selectFrom('role_bindings').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row !== undefined && bindingValid(integrity, row) ? row : undefined;
}

/** Inserts a binding with its MAC. */
export async function insertBinding(tx: Tx, integrity: BindingIntegrity, binding: UnsealedBinding | BindingRow): Promise<void> {
  await tx
    .insertInto('role_bindings')
    .values({ ...binding, conditions: binding.conditions === null ? null : sql`${JSON.stringify(binding.conditions)}::jsonb` as never, integrity_mac: bindingMac(integrity, binding) })
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

export const isMember = tenancy.isMember;

export async function getServiceAccount(tx: Tx, tenantId: string, id: string): Promise<ServiceAccountRow | undefined> {
  return tx.selectFrom('service_accounts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** Makes `userId` Tenant Admin of a new organization (its creator). */
export async function grantCreator(tx: Tx, integrity: BindingIntegrity, tenantId: string, userId: string, now: Date, id: string): Promise<void> {
  await insertBinding(tx, integrity, {
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

/**
 * Issue 13: MACs the role bindings that predate row MACs, once, at start (migration 0063). The
 * copy the migration took as the owner is MAC'd — not the live row — so a binding altered since
 * grants nothing. Copies are read and deleted in the verified jobs context; each live row is
 * updated in its own organization's context, only while it has no MAC. Returns how many.
 */
export async function upgradeBindingMacs(transactor: AppTransactor, integrity: BindingIntegrity): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<UnsealedBinding>`select *, null as last_used_at from role_bindings_mac_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withTenant(copy.tenant_id, (tx) =>
      tx.updateTable('role_bindings').set({ integrity_mac: bindingMac(integrity, copy) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).where('integrity_mac', 'is', null).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from role_bindings_mac_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  return copies.length;
}

/**
 * Issue 13: MACs the custom roles that predate row MACs, once, at start (migration 0090), from the
 * copy the migration took as the owner — not the live row — so a permission list raised since
 * grants nothing. As for bindings: copies read and deleted in the verified jobs context, each live
 * row updated in its organization's context only while it has no MAC. Returns how many.
 */
export async function upgradeRoleMacs(transactor: AppTransactor, integrity: BindingIntegrity): Promise<number> {
  const copies = await transactor.withJobs(async (tx) => (await sql<RoleIdentity>`select tenant_id, id, permissions, created_at from access_roles_mac_upgrade`.execute(tx)).rows);
  for (const copy of copies) {
    await transactor.withTenant(copy.tenant_id, (tx) =>
      tx.updateTable('access_roles').set({ integrity_mac: roleMac(integrity, copy) }).where('tenant_id', '=', copy.tenant_id).where('id', '=', copy.id).where('integrity_mac', 'is', null).execute(),
    );
    await transactor.withJobs((tx) => sql`delete from access_roles_mac_upgrade where tenant_id = ${copy.tenant_id} and id = ${copy.id}`.execute(tx));
  }
  return copies.length;
}
