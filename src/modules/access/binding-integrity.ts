import type { Selectable } from 'kysely';
import type { RowIntegrity } from '../identity/index.ts';
import type { RoleBindingsTable } from './access-tables.ts';
import { isBuiltInRole } from './permissions.ts';

/** The part of the identity module's row MACs the access store needs. */
export type BindingIntegrity = Pick<RowIntegrity, 'rowMac' | 'rowValid'>;

type StoredBinding = Selectable<RoleBindingsTable>;
/** A binding without its MAC column (as callers build one before the insert). */
export type UnsealedBinding = Omit<StoredBinding, 'integrity_mac'>;

export const ROLE_BINDING_ROW = 'role-binding/1';

/**
 * Issue 13, property 1: every field of a role binding the decision reads — whom it binds, to which
 * role, at which scope, under which conditions, until when, and from which grant — with its id
 * and tenant, under the keyring's `row-integrity` key. A binding never changes after its insert
 * except `last_used_at`, which is left out.
 */
const fields = (row: UnsealedBinding): unknown[] => [
  row.tenant_id,
  row.id,
  row.principal_type,
  row.principal_id,
  row.built_in_role,
  row.custom_role_id,
  row.project_id,
  row.environment_id,
  row.conditions,
  row.expires_at,
  row.grant_id,
  row.created_by,
  row.created_at,
];

export function bindingMac(integrity: BindingIntegrity, row: UnsealedBinding): Buffer {
  return integrity.rowMac(ROLE_BINDING_ROW, fields(row));
}

/** True when the binding carries its MAC; a false answer is logged (ids only) and the binding grants nothing. */
export function bindingValid(integrity: BindingIntegrity, row: StoredBinding): boolean {
  return integrity.rowValid(ROLE_BINDING_ROW, fields(row), row.integrity_mac, { table: 'role_bindings', id: row.id, tenantId: row.tenant_id });
}

/** A user's organization-wide binding to a role (built-in key or custom role id): no scope, conditions or expiry; system-made. */
export function organizationRoleBinding(input: { readonly tenantId: string; readonly id: string; readonly userId: string; readonly role: string; readonly now: Date }): UnsealedBinding {
  const builtIn = isBuiltInRole(input.role);
  return {
    tenant_id: input.tenantId,
    id: input.id,
    principal_type: 'user',
    principal_id: input.userId,
    built_in_role: builtIn ? input.role : null,
    custom_role_id: builtIn ? null : input.role,
    project_id: null,
    environment_id: null,
    conditions: null,
    expires_at: null,
    grant_id: null,
    created_by: null,
    created_at: input.now,
    last_used_at: null,
  };
}

export const ACCESS_ROLE_ROW = 'access-role/1';

/** The fields of a custom role a decision reads: which permissions it gives, with its id, tenant and creation. */
export interface RoleIdentity {
  readonly tenant_id: string;
  readonly id: string;
  readonly permissions: readonly string[];
  readonly created_at: Date;
}

/**
 * Issue 13, property 1: a custom role's permission list is under the same `row-integrity` MAC as
 * bindings (a binding to a custom role grants what the role lists, so raising the list by SQL would
 * raise every binding to it). Name, description and `updated_at` decide nothing and are left out;
 * an update of the permissions re-MACs the row in the same statement.
 */
const roleFields = (row: RoleIdentity): unknown[] => [row.tenant_id, row.id, row.permissions, row.created_at];

export function roleMac(integrity: BindingIntegrity, row: RoleIdentity): Buffer {
  return integrity.rowMac(ACCESS_ROLE_ROW, roleFields(row));
}

/** True when the custom role carries its MAC; a false answer is logged (ids only) and the role is treated as absent (it grants nothing). */
export function roleValid(integrity: BindingIntegrity, row: RoleIdentity & { readonly integrity_mac: Uint8Array | null }): boolean {
  return integrity.rowValid(ACCESS_ROLE_ROW, roleFields(row), row.integrity_mac, { table: 'access_roles', id: row.id, tenantId: row.tenant_id });
}
