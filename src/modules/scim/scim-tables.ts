import type { ColumnType } from 'kysely';
/** The SCIM module's tables (migration 0058; docs/sso.md "SCIM"). */
export interface ScimDirectoriesTable {
  tenant_id: string;
  id: string;
  name: string;
  default_role: string;
  token_hash: Buffer | null;
  token_issued_at: Date | null;
  created_by: string | null;
  created_at: Date;
}

export interface ScimGroupRolesTable {
  tenant_id: string;
  directory_id: string;
  id: string;
  group_name: string;
  role: string;
  created_at: Date;
}

export interface ScimEmail {
  readonly value: string;
  readonly type?: string;
  readonly primary?: boolean;
}

export interface ScimUsersTable {
  tenant_id: string;
  directory_id: string;
  id: string;
  user_id: string;
  user_name: string;
  external_id: string | null;
  active: boolean;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  emails: ScimEmail[];
  applied_roles: string[];
  created_at: Date;
  updated_at: Date;
  /** RFC 7644 §3.14 (migration 0108): raised by every change; the ETag is `W/"<version>"`. */
  version: ColumnType<number, number | undefined, number>;
}

export interface ScimGroupsTable {
  tenant_id: string;
  directory_id: string;
  id: string;
  display_name: string;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
  /** RFC 7644 §3.14 (migration 0108). */
  version: ColumnType<number, number | undefined, number>;
}

export interface ScimGroupMembersTable {
  tenant_id: string;
  group_id: string;
  scim_user_id: string;
}

export interface ScimTables {
  scim_directories: ScimDirectoriesTable;
  scim_group_roles: ScimGroupRolesTable;
  scim_users: ScimUsersTable;
  scim_groups: ScimGroupsTable;
  scim_group_members: ScimGroupMembersTable;
}
