import { sql, type Selectable } from 'kysely';
import type { Tx } from '../../database.ts';
import type { EnvironmentKind, EnvironmentsTable, OrganizationsTable, ProjectsTable } from './tenants-tables.ts';

export type OrganizationRow = Selectable<OrganizationsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type EnvironmentRow = Selectable<EnvironmentsTable>;

// Every statement runs inside withTenant (or withActor for listing one's organizations); queries
// still name tenant_id explicitly so they stay correct on a sharded (Citus) deployment.

export async function insertOrganization(tx: Tx, org: OrganizationRow): Promise<void> {
  await tx.insertInto('organizations').values(org).execute();
}

/**
 * Takes a transaction-scoped lock on the acting user's organization creations, then counts the
 * organizations they created that still exist: parallel creations by one user queue here, so none
 * counts before another commits.
 */
export async function lockAndCountOrganizationsCreated(tx: Tx, userId: string): Promise<number> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`parapet.organization_creator:${userId}`}, 0))`.execute(tx);
  const { rows } = await sql<{ n: number }>`select parapet_organizations_created_by_actor() as n`.execute(tx);
  return rows[0]?.n ?? 0;
}

/** Adds a member; `ifAbsent`: an existing membership is left as it is instead of refused. */
export async function insertMembership(tx: Tx, tenantId: string, userId: string, role: 'owner' | 'member', now: Date, options: { ifAbsent?: boolean } = {}): Promise<void> {
  const insert = tx.insertInto('memberships').values({ tenant_id: tenantId, user_id: userId, role, created_at: now });
  await (options.ifAbsent === true ? insert.onConflict((oc) => oc.doNothing()) : insert).execute();
}

/** Removes a user's membership of an organization (their role bindings there are the access module's); false when there was none. */
export async function deleteMembership(tx: Tx, tenantId: string, userId: string): Promise<boolean> {
  const result = await tx.deleteFrom('memberships').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Organizations visible in the transaction's context (for a user with no tenant: theirs). */
export async function listOrganizations(tx: Tx, after: string | undefined, limit: number): Promise<OrganizationRow[]> {
  let query = tx.selectFrom('organizations').selectAll().orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

export async function getOrganization(tx: Tx, id: string): Promise<OrganizationRow | undefined> {
  return tx.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function renameOrganization(tx: Tx, id: string, name: string, now: Date): Promise<OrganizationRow | undefined> {
  return tx.updateTable('organizations').set({ name, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteOrganization(tx: Tx, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function insertProject(tx: Tx, project: ProjectRow): Promise<void> {
  await tx.insertInto('projects').values(project).execute();
}

export async function listProjects(tx: Tx, tenantId: string, after: string | undefined, limit: number): Promise<ProjectRow[]> {
  let query = tx.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

export async function getProject(tx: Tx, tenantId: string, id: string): Promise<ProjectRow | undefined> {
  return tx.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function renameProject(tx: Tx, tenantId: string, id: string, name: string, now: Date): Promise<ProjectRow | undefined> {
  return tx.updateTable('projects').set({ name, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteProject(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('projects').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function insertEnvironment(tx: Tx, environment: EnvironmentRow): Promise<void> {
  await tx.insertInto('environments').values(environment).execute();
}

export async function listEnvironments(tx: Tx, tenantId: string, projectId: string, after: string | undefined, limit: number): Promise<EnvironmentRow[]> {
  let query = tx.selectFrom('environments').selectAll().where('tenant_id', '=', tenantId).where('project_id', '=', projectId).orderBy('id').limit(limit + 1);
  if (after !== undefined) query = query.where('id', '>', after);
  return query.execute();
}

export async function getEnvironment(tx: Tx, tenantId: string, projectId: string, id: string): Promise<EnvironmentRow | undefined> {
  return tx.selectFrom('environments').selectAll().where('tenant_id', '=', tenantId).where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export async function updateEnvironment(
  tx: Tx,
  tenantId: string,
  projectId: string,
  id: string,
  changes: { name?: string; kind?: EnvironmentKind },
  now: Date,
): Promise<EnvironmentRow | undefined> {
  return tx
    .updateTable('environments')
    .set({ ...changes, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteEnvironment(tx: Tx, tenantId: string, projectId: string, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('environments').where('tenant_id', '=', tenantId).where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
