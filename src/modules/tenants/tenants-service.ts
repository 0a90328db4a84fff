import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { conflictOnDuplicate } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import * as store from './tenants-store.ts';
import type { EnvironmentKind } from './tenants-tables.ts';

export interface PageRequest {
  readonly after: string | undefined;
  readonly limit: number;
}

/**
 * Organizations → projects → environments (TEN-3). Every call runs in its tenant's transaction
 * and first checks that the actor is a member; a non-member gets `not_found`, as if the
 * organization did not exist, so ids cannot be probed.
 */
export function createTenantsService(deps: { transactor: AppTransactor; clock: Clock; random: Random }) {
  const { transactor, clock, random } = deps;

  function asMember<T>(tenantId: string, actorId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return transactor.withTenant(
      tenantId,
      async (tx) => {
        if (!(await store.isMember(tx, tenantId, actorId))) throw new AppError('not_found');
        return fn(tx);
      },
      actorId,
    );
  }

  function found<T>(row: T | undefined): T {
    if (row === undefined) throw new AppError('not_found');
    return row;
  }

  async function gone(deleted: boolean): Promise<void> {
    if (!deleted) throw new AppError('not_found');
  }

  return {
    createOrganization: (actorId: string, name: string) => {
      const id = uuidv7(clock, random);
      const now = clock.now();
      return transactor.withTenant(
        id,
        async (tx) => {
          const org = { id, name, created_by: actorId, created_at: now, updated_at: now };
          await store.insertOrganization(tx, org);
          await store.insertMembership(tx, id, actorId, 'owner', now);
          return org;
        },
        actorId,
      );
    },
    listOrganizations: (actorId: string, page: PageRequest) => transactor.withActor(actorId, (tx) => store.listOrganizations(tx, page.after, page.limit)),
    getOrganization: (actorId: string, id: string) => asMember(id, actorId, async (tx) => found(await store.getOrganization(tx, id))),
    renameOrganization: (actorId: string, id: string, name: string) =>
      asMember(id, actorId, async (tx) => found(await store.renameOrganization(tx, id, name, clock.now()))),
    deleteOrganization: (actorId: string, id: string) => asMember(id, actorId, async (tx) => gone(await store.deleteOrganization(tx, id))),

    createProject: (actorId: string, tenantId: string, name: string) =>
      asMember(tenantId, actorId, async (tx) => {
        const now = clock.now();
        const project = { tenant_id: tenantId, id: uuidv7(clock, random), name, created_at: now, updated_at: now };
        await conflictOnDuplicate('A project with this name already exists.', () => store.insertProject(tx, project));
        return project;
      }),
    listProjects: (actorId: string, tenantId: string, page: PageRequest) => asMember(tenantId, actorId, (tx) => store.listProjects(tx, tenantId, page.after, page.limit)),
    getProject: (actorId: string, tenantId: string, id: string) => asMember(tenantId, actorId, async (tx) => found(await store.getProject(tx, tenantId, id))),
    renameProject: (actorId: string, tenantId: string, id: string, name: string) =>
      asMember(tenantId, actorId, async (tx) =>
        found(await conflictOnDuplicate('A project with this name already exists.', () => store.renameProject(tx, tenantId, id, name, clock.now()))),
      ),
    deleteProject: (actorId: string, tenantId: string, id: string) => asMember(tenantId, actorId, async (tx) => gone(await store.deleteProject(tx, tenantId, id))),

    createEnvironment: (actorId: string, tenantId: string, projectId: string, input: { name: string; kind: EnvironmentKind }) =>
      asMember(tenantId, actorId, async (tx) => {
        found(await store.getProject(tx, tenantId, projectId));
        const now = clock.now();
        const environment = { tenant_id: tenantId, project_id: projectId, id: uuidv7(clock, random), name: input.name, kind: input.kind, created_at: now, updated_at: now };
        await conflictOnDuplicate('An environment with this name already exists in the project.', () => store.insertEnvironment(tx, environment));
        return environment;
      }),
    listEnvironments: (actorId: string, tenantId: string, projectId: string, page: PageRequest) =>
      asMember(tenantId, actorId, async (tx) => {
        found(await store.getProject(tx, tenantId, projectId));
        return store.listEnvironments(tx, tenantId, projectId, page.after, page.limit);
      }),
    getEnvironment: (actorId: string, tenantId: string, projectId: string, id: string) =>
      asMember(tenantId, actorId, async (tx) => found(await store.getEnvironment(tx, tenantId, projectId, id))),
    updateEnvironment: (actorId: string, tenantId: string, projectId: string, id: string, changes: { name?: string; kind?: EnvironmentKind }) =>
      asMember(tenantId, actorId, async (tx) =>
        found(
          await conflictOnDuplicate('An environment with this name already exists in the project.', () =>
            store.updateEnvironment(tx, tenantId, projectId, id, changes, clock.now()),
          ),
        ),
      ),
    deleteEnvironment: (actorId: string, tenantId: string, projectId: string, id: string) =>
      asMember(tenantId, actorId, async (tx) => gone(await store.deleteEnvironment(tx, tenantId, projectId, id))),
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
