import type { ColumnType } from 'kysely';
import type { BuiltInRoleKey } from './permissions.ts';
import type { Conditions } from './conditions.ts';

export interface AccessRolesTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  permissions: string[];
  created_at: Date;
  updated_at: Date;
  /** Issue 13: HMAC under the keyring's `row-integrity` key (binding-integrity.ts, `access-role/1`); null on rows the application did not write. */
  integrity_mac: Buffer | null;
}

export interface ServiceAccountsTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string;
  created_by: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

export type PrincipalType = 'user' | 'service_account';

export interface RoleBindingsTable {
  tenant_id: string;
  id: string;
  principal_type: PrincipalType;
  principal_id: string;
  built_in_role: BuiltInRoleKey | null;
  custom_role_id: string | null;
  project_id: string | null;
  environment_id: string | null;
  conditions: Conditions | null;
  expires_at: Date | null;
  grant_id: string | null;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  /** HMAC over the fields decisions read, under the `row-integrity` key (binding-integrity.ts); a binding without a valid one grants nothing (issue 13). */
  integrity_mac: Buffer | null;
}

/** One row per organization that changed any security policy default (AUTH-9); no row = defaults. */
export interface OrganizationSecurityPoliciesTable {
  tenant_id: string;
  mfa_required: boolean;
  allowed_mfa_methods: string[];
  session_idle_minutes: number | null;
  session_absolute_hours: number | null;
  ip_allowlist: string[];
  /** Migration 0107 (issue 18): accept the organization's IdP's MFA. */
  accept_idp_mfa: ColumnType<boolean, boolean | undefined, boolean>;
  updated_by: string | null;
  updated_at: Date;
}

export interface AccessTables {
  access_roles: AccessRolesTable;
  service_accounts: ServiceAccountsTable;
  role_bindings: RoleBindingsTable;
  organization_security_policies: OrganizationSecurityPoliciesTable;
}
