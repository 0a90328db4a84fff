import type { AppTransactor, Tx } from '../../database.ts';
import type { AuditContext, AuditEventInput, AuditRecorder, AuditTarget } from '../audit/index.ts';
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
export function createTenantsService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder }) {
  const { transactor, clock, random, audit } = deps;

  /** Refused because the actor is not a member; `exists` says whether the organization does. */
  class NotMember extends Error {
    readonly exists: boolean;
    constructor(exists: boolean) {
      super('not a member');
      this.exists = exists;
    }
  }

  async function asMember<T>(tenantId: string, ctx: AuditContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await transactor.withTenant(
        tenantId,
        async (tx) => {
          if (!(await store.isMember(tx, tenantId, ctx.userId))) throw new NotMember((await store.getOrganization(tx, tenantId)) !== undefined);
          return fn(tx);
        },
        ctx.userId,
      );
    } catch (error) {
      if (!(error instanceof NotMember)) throw error;
      // The denial is recorded in the probed organization's own log (its admins see probing),
      // in a transaction of its own since the refused one rolled back.
      if (error.exists) {
        await transactor.withTenant(tenantId, (tx) =>
          audit.record(tx, tenantId, { action: 'authz.denied', actor: ctx.actor, outcome: 'denied', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { reason: 'not_a_member' } }),
        );
      }
      throw new AppError('not_found');
    }
  }

  function record(tx: Tx, tenantId: string, ctx: AuditContext, action: AuditEventInput['action'], targets: AuditTarget[], metadata?: AuditEventInput['metadata']) {
    return audit.record(tx, tenantId, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets, ...(metadata === undefined ? {} : { metadata }) });
  }

  function found<T>(row: T | undefined): T {
    if (row === undefined) throw new AppError('not_found');
    return row;
  }

  async function gone(deleted: boolean): Promise<void> {
    if (!deleted) throw new AppError('not_found');
  }

  return {
    /** Throws `not_found` unless the actor is a member of the organization. */
    assertMember: (ctx: AuditContext, tenantId: string) => asMember(tenantId, ctx, async () => undefined),
    createOrganization: (ctx: AuditContext, name: string) => {
      const id = uuidv7(clock, random);
      const now = clock.now();
      return transactor.withTenant(
        id,
        async (tx) => {
          const org = { id, name, created_by: ctx.userId, created_at: now, updated_at: now };
          await store.insertOrganization(tx, org);
          await store.insertMembership(tx, id, ctx.userId, 'owner', now);
          await record(tx, id, ctx, 'organization.created', [{ type: 'organization', id, name }]);
          return org;
        },
        ctx.userId,
      );
    },
    listOrganizations: (ctx: AuditContext, page: PageRequest) => transactor.withActor(ctx.userId, (tx) => store.listOrganizations(tx, page.after, page.limit)),
    getOrganization: (ctx: AuditContext, id: string) => asMember(id, ctx, async (tx) => found(await store.getOrganization(tx, id))),
    renameOrganization: (ctx: AuditContext, id: string, name: string) =>
      asMember(id, ctx, async (tx) => {
        const org = found(await store.renameOrganization(tx, id, name, clock.now()));
        await record(tx, id, ctx, 'organization.renamed', [{ type: 'organization', id, name }]);
        return org;
      }),
    deleteOrganization: (ctx: AuditContext, id: string) =>
      asMember(id, ctx, async (tx) => {
        await gone(await store.deleteOrganization(tx, id));
        await record(tx, id, ctx, 'organization.deleted', [{ type: 'organization', id }]);
      }),

    createProject: (ctx: AuditContext, tenantId: string, name: string) =>
      asMember(tenantId, ctx, async (tx) => {
        const now = clock.now();
        const project = { tenant_id: tenantId, id: uuidv7(clock, random), name, created_at: now, updated_at: now };
        await conflictOnDuplicate('A project with this name already exists.', () => store.insertProject(tx, project));
        await record(tx, tenantId, ctx, 'project.created', [{ type: 'project', id: project.id, name }]);
        return project;
      }),
    listProjects: (ctx: AuditContext, tenantId: string, page: PageRequest) => asMember(tenantId, ctx, (tx) => store.listProjects(tx, tenantId, page.after, page.limit)),
    getProject: (ctx: AuditContext, tenantId: string, id: string) => asMember(tenantId, ctx, async (tx) => found(await store.getProject(tx, tenantId, id))),
    renameProject: (ctx: AuditContext, tenantId: string, id: string, name: string) =>
      asMember(tenantId, ctx, async (tx) => {
        const project = found(await conflictOnDuplicate('A project with this name already exists.', () => store.renameProject(tx, tenantId, id, name, clock.now())));
        await record(tx, tenantId, ctx, 'project.renamed', [{ type: 'project', id, name }]);
        return project;
      }),
    deleteProject: (ctx: AuditContext, tenantId: string, id: string) =>
      asMember(tenantId, ctx, async (tx) => {
        await gone(await store.deleteProject(tx, tenantId, id));
        await record(tx, tenantId, ctx, 'project.deleted', [{ type: 'project', id }]);
      }),

    createEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, input: { name: string; kind: EnvironmentKind }) =>
      asMember(tenantId, ctx, async (tx) => {
        found(await store.getProject(tx, tenantId, projectId));
        const now = clock.now();
        const environment = { tenant_id: tenantId, project_id: projectId, id: uuidv7(clock, random), name: input.name, kind: input.kind, created_at: now, updated_at: now };
        await conflictOnDuplicate('An environment with this name already exists in the project.', () => store.insertEnvironment(tx, environment));
        await record(tx, tenantId, ctx, 'environment.created', [{ type: 'project', id: projectId }, { type: 'environment', id: environment.id, name: input.name }], { kind: input.kind });
        return environment;
      }),
    listEnvironments: (ctx: AuditContext, tenantId: string, projectId: string, page: PageRequest) =>
      asMember(tenantId, ctx, async (tx) => {
        found(await store.getProject(tx, tenantId, projectId));
        return store.listEnvironments(tx, tenantId, projectId, page.after, page.limit);
      }),
    getEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, id: string) =>
      asMember(tenantId, ctx, async (tx) => found(await store.getEnvironment(tx, tenantId, projectId, id))),
    updateEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, id: string, changes: { name?: string; kind?: EnvironmentKind }) =>
      asMember(tenantId, ctx, async (tx) => {
        const environment = found(
          await conflictOnDuplicate('An environment with this name already exists in the project.', () =>
            store.updateEnvironment(tx, tenantId, projectId, id, changes, clock.now()),
          ),
        );
        await record(tx, tenantId, ctx, 'environment.updated', [{ type: 'project', id: projectId }, { type: 'environment', id, name: environment.name }], { kind: environment.kind });
        return environment;
      }),
    deleteEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, id: string) =>
      asMember(tenantId, ctx, async (tx) => {
        await gone(await store.deleteEnvironment(tx, tenantId, projectId, id));
        await record(tx, tenantId, ctx, 'environment.deleted', [{ type: 'project', id: projectId }, { type: 'environment', id }]);
      }),
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
