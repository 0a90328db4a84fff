import type { Tx } from '../../database.ts';

// What other modules read of the tenancy tables (organizations, projects, environments,
// memberships), named here so that the tables' owner stays the only SQL on them (issue 12: a
// module's SQL names only its own tables). Each runs in the caller's transaction, under the
// caller's tenant context, and names tenant_id as every tenants-store query does.

/** Whether `tenantId` is an organization (visible under the current context). */
export async function organizationExists(tx: Tx, tenantId: string): Promise<boolean> {
  return (await tx.selectFrom('organizations').select('id').where('id', '=', tenantId).executeTakeFirst()) !== undefined;
}

/** An organization's name and creation time, or undefined. */
export async function organizationSummary(tx: Tx, tenantId: string): Promise<{ name: string; createdAt: Date } | undefined> {
  const row = await tx.selectFrom('organizations').select(['name', 'created_at']).where('id', '=', tenantId).executeTakeFirst();
  return row === undefined ? undefined : { name: row.name, createdAt: row.created_at };
}

/** The user ids of an organization's members. */
export async function memberUserIds(tx: Tx, tenantId: string): Promise<string[]> {
  return (await tx.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).execute()).map((row) => row.user_id);
}

/** Whether `userId` is a member of `tenantId`. */
export async function isMember(tx: Tx, tenantId: string, userId: string): Promise<boolean> {
  return (await tx.selectFrom('memberships').select('user_id').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst()) !== undefined;
}

/** Every environment of an organization with its project. */
export async function environmentScopes(tx: Tx, tenantId: string): Promise<{ id: string; project_id: string }[]> {
  return tx.selectFrom('environments').select(['id', 'project_id']).where('tenant_id', '=', tenantId).execute();
}

/** Whether the project exists in the organization. */
export async function projectExists(tx: Tx, tenantId: string, projectId: string): Promise<boolean> {
  return (await tx.selectFrom('projects').select('id').where('tenant_id', '=', tenantId).where('id', '=', projectId).executeTakeFirst()) !== undefined;
}

/** The project an environment of the organization belongs to, or undefined when there is no such environment. */
export async function environmentProject(tx: Tx, tenantId: string, environmentId: string): Promise<string | undefined> {
  return (await tx.selectFrom('environments').select('project_id').where('tenant_id', '=', tenantId).where('id', '=', environmentId).executeTakeFirst())?.project_id;
}

/** An environment's project and kind, or undefined when the organization has no such environment. */
export async function environmentOf(tx: Tx, tenantId: string, environmentId: string): Promise<{ projectId: string; kind: string } | undefined> {
  const row = await tx.selectFrom('environments').select(['project_id', 'kind']).where('tenant_id', '=', tenantId).where('id', '=', environmentId).executeTakeFirst();
  return row === undefined ? undefined : { projectId: row.project_id, kind: row.kind };
}

/** Whether the environment exists in that project of the organization. */
export async function environmentExists(tx: Tx, tenantId: string, projectId: string, environmentId: string): Promise<boolean> {
  return (await tx.selectFrom('environments').select('id').where('tenant_id', '=', tenantId).where('project_id', '=', projectId).where('id', '=', environmentId).executeTakeFirst()) !== undefined;
}

/** The organizations a user belongs to (run under the user's own actor context), in id order. */
export async function organizationsOfUser(tx: Tx, userId: string): Promise<string[]> {
  return (await tx.selectFrom('memberships').select('tenant_id').where('user_id', '=', userId).orderBy('tenant_id').execute()).map((row) => row.tenant_id);
}

/** A user's membership of an organization with the organization's name, or undefined. */
export async function membershipOf(tx: Tx, tenantId: string, userId: string): Promise<{ organizationName: string; role: string; createdAt: Date } | undefined> {
  const org = await tx.selectFrom('organizations').select('name').where('id', '=', tenantId).executeTakeFirst();
  const member = await tx.selectFrom('memberships').select(['role', 'created_at']).where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return org === undefined || member === undefined ? undefined : { organizationName: org.name, role: member.role, createdAt: member.created_at };
}

/** A page of an organization's memberships (user id and when they joined), in user id order; `limit + 1` rows tell the caller a next page exists. */
export async function membershipPage(tx: Tx, tenantId: string, page: { after?: string | undefined; limit: number; userId?: string | undefined }): Promise<{ user_id: string; created_at: Date }[]> {
  let query = tx.selectFrom('memberships').select(['user_id', 'created_at']).where('tenant_id', '=', tenantId).orderBy('user_id').limit(page.limit + 1);
  if (page.after !== undefined) query = query.where('user_id', '>', page.after);
  if (page.userId !== undefined) query = query.where('user_id', '=', page.userId);
  return query.execute();
}
