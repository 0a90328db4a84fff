import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { ScimDirectoriesTable, ScimGroupRolesTable, ScimGroupsTable, ScimUsersTable } from './scim-tables.ts';

// Every statement runs inside withTenant; queries still name tenant_id (see tenants-store.ts).

export type DirectoryRow = Selectable<ScimDirectoriesTable>;
export type UserRow = Selectable<ScimUsersTable>;
export type GroupRow = Selectable<ScimGroupsTable>;
export type MappingRow = Selectable<ScimGroupRolesTable>;

/** The organization of the directory `directoryId` whose live token has digest `digest`, or undefined (platform context). */
export async function directoryTenant(tx: Tx, directoryId: string, digest: Buffer): Promise<string | undefined> {
  const { rows } = await sql<{ tenant_id: string | null }>`select parapet_scim_directory(${directoryId}::uuid, ${digest}) as tenant_id`.execute(tx);
  return rows[0]?.tenant_id ?? undefined;
}

export async function findDirectory(tx: Tx, tenantId: string, id: string): Promise<DirectoryRow | undefined> {
  return tx.selectFrom('scim_directories').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listDirectories(tx: Tx, tenantId: string): Promise<DirectoryRow[]> {
  return tx.selectFrom('scim_directories').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function listMappings(tx: Tx, tenantId: string, directoryId: string): Promise<MappingRow[]> {
  return tx.selectFrom('scim_group_roles').selectAll().where('tenant_id', '=', tenantId).where('directory_id', '=', directoryId).orderBy('created_at').orderBy('id').execute();
}

/** How many users and groups directory `directoryId` holds. */
export async function countProvisioned(tx: Tx, tenantId: string, directoryId: string): Promise<{ users: number; groups: number }> {
  const users = await tx.selectFrom('scim_users').where('tenant_id', '=', tenantId).where('directory_id', '=', directoryId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  const groups = await tx.selectFrom('scim_groups').where('tenant_id', '=', tenantId).where('directory_id', '=', directoryId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  return { users: Number(users?.n ?? 0), groups: Number(groups?.n ?? 0) };
}

/** A page of a directory's users matching `where`, and how many match in all. */
export async function pageUsers(tx: Tx, tenantId: string, directoryId: string, where: RawBuilder<boolean> | undefined, offset: number, limit: number): Promise<{ rows: UserRow[]; total: number }> {
  let query = tx.selectFrom('scim_users').where('scim_users.tenant_id', '=', tenantId).where('scim_users.directory_id', '=', directoryId);
  if (where !== undefined) query = query.where(where);
  const total = await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  const rows = limit === 0 ? [] : await query.selectAll('scim_users').orderBy('scim_users.created_at').orderBy('scim_users.id').offset(offset).limit(limit).execute();
  return { rows, total: Number(total?.n ?? 0) };
}

export async function pageGroups(tx: Tx, tenantId: string, directoryId: string, where: RawBuilder<boolean> | undefined, offset: number, limit: number): Promise<{ rows: GroupRow[]; total: number }> {
  let query = tx.selectFrom('scim_groups').where('scim_groups.tenant_id', '=', tenantId).where('scim_groups.directory_id', '=', directoryId);
  if (where !== undefined) query = query.where(where);
  const total = await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  const rows = limit === 0 ? [] : await query.selectAll('scim_groups').orderBy('scim_groups.created_at').orderBy('scim_groups.id').offset(offset).limit(limit).execute();
  return { rows, total: Number(total?.n ?? 0) };
}

export async function findUser(tx: Tx, tenantId: string, directoryId: string, id: string): Promise<UserRow | undefined> {
  return tx.selectFrom('scim_users').selectAll().where('tenant_id', '=', tenantId).where('directory_id', '=', directoryId).where('id', '=', id).executeTakeFirst();
}

export async function findUserByName(tx: Tx, tenantId: string, directoryId: string, userName: string): Promise<UserRow | undefined> {
  return tx
    .selectFrom('scim_users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('directory_id', '=', directoryId)
    .where(sql<boolean>`lower(user_name) = lower(${userName})`)
    .executeTakeFirst();
}

export async function findGroup(tx: Tx, tenantId: string, directoryId: string, id: string): Promise<GroupRow | undefined> {
  return tx.selectFrom('scim_groups').selectAll().where('tenant_id', '=', tenantId).where('directory_id', '=', directoryId).where('id', '=', id).executeTakeFirst();
}

/** The groups (id, name) of each of the given SCIM users. */
export async function groupsOfUsers(tx: Tx, tenantId: string, userIds: readonly string[]): Promise<{ scim_user_id: string; id: string; display_name: string }[]> {
  if (userIds.length === 0) return [];
  return tx
    .selectFrom('scim_group_members')
    .innerJoin('scim_groups', (join) => join.onRef('scim_groups.tenant_id', '=', 'scim_group_members.tenant_id').onRef('scim_groups.id', '=', 'scim_group_members.group_id'))
    .select(['scim_group_members.scim_user_id', 'scim_groups.id', 'scim_groups.display_name'])
    .where('scim_group_members.tenant_id', '=', tenantId)
    .where('scim_group_members.scim_user_id', 'in', [...userIds])
    .orderBy('scim_groups.id')
    .execute();
}

/** The members (id, userName) of each of the given groups. */
export async function membersOfGroups(tx: Tx, tenantId: string, groupIds: readonly string[]): Promise<{ group_id: string; id: string; user_name: string }[]> {
  if (groupIds.length === 0) return [];
  return tx
    .selectFrom('scim_group_members')
    .innerJoin('scim_users', (join) => join.onRef('scim_users.tenant_id', '=', 'scim_group_members.tenant_id').onRef('scim_users.id', '=', 'scim_group_members.scim_user_id'))
    .select(['scim_group_members.group_id', 'scim_users.id', 'scim_users.user_name'])
    .where('scim_group_members.tenant_id', '=', tenantId)
    .where('scim_group_members.group_id', 'in', [...groupIds])
    .orderBy('scim_users.id')
    .execute();
}

/** Of `ids`, those that are users of this directory. */
export async function existingUserIds(tx: Tx, tenantId: string, directoryId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.selectFrom('scim_users').select('id').where('tenant_id', '=', tenantId).where('directory_id', '=', directoryId).where('id', 'in', [...ids]).execute();
  return new Set(rows.map((row) => row.id));
}

/** The roles mapped to any of the given group names (case-insensitive). */
export async function rolesOfGroupNames(tx: Tx, tenantId: string, directoryId: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const lowered = names.map((name) => name.toLowerCase());
  const rows = await tx
    .selectFrom('scim_group_roles')
    .select('role')
    .where('tenant_id', '=', tenantId)
    .where('directory_id', '=', directoryId)
    .where(sql<boolean>`lower(group_name) = any(${lowered}::text[])`)
    .execute();
  return rows.map((row) => row.role);
}
