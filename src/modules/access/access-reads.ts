import type { Tx } from '../../database.ts';
import { roleValid, type BindingIntegrity } from './binding-integrity.ts';

// What other modules read of the access tables (custom roles, service accounts, role bindings,
// security policies), named here so that access stays the only SQL on them (issue 12). Each runs in
// the caller's transaction under its tenant context.

export { getSecurityPolicy } from './access-store.ts';

/** A custom role's name (for display: a mail, a list), or undefined. */
export async function customRoleName(tx: Tx, tenantId: string, roleId: string): Promise<string | undefined> {
  return (await tx.selectFrom('access_roles').select('name').where('tenant_id', '=', tenantId).where('id', '=', roleId).executeTakeFirst())?.name;
}

/** Whether the organization has this custom role with a MAC that verifies (issue 13): a role added by SQL does not exist. */
export async function customRoleExists(tx: Tx, integrity: BindingIntegrity, tenantId: string, roleId: string): Promise<boolean> {
  const row = await tx.selectFrom('access_roles').select(['tenant_id', 'id', 'permissions', 'created_at', 'integrity_mac']).where('tenant_id', '=', tenantId).where('id', '=', roleId).executeTakeFirst();
  return row !== undefined && roleValid(integrity, row);
}

/** A service account's name and state, or undefined. */
export async function serviceAccount(tx: Tx, tenantId: string, id: string): Promise<{ id: string; name: string; disabled_at: Date | null } | undefined> {
  return tx.selectFrom('service_accounts').select(['id', 'name', 'disabled_at']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** A user's role bindings in an organization, for the DATA-2 export (no MACs: a record of what is stored). */
export async function userBindingsOf(tx: Tx, tenantId: string, userId: string) {
  return tx
    .selectFrom('role_bindings')
    .select(['id', 'built_in_role', 'custom_role_id', 'project_id', 'environment_id', 'expires_at', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('principal_type', '=', 'user')
    .where('principal_id', '=', userId)
    .orderBy('id')
    .execute();
}
