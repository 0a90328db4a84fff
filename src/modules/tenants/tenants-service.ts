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

/** What the tenancy service needs from access control, so bindings and caches follow the hierarchy. */
export interface TenancyAccessHooks {
  /** Call in any transaction that changes members or the hierarchy (drops access snapshots everywhere). */
  changed(tx: Tx, tenantId: string): Promise<void>;
  /** Makes the creator of a new organization its Tenant Admin. */
  grantCreator(tx: Tx, tenantId: string, userId: string, now: Date): Promise<void>;
}

/**
 * Organizations → projects → environments (TEN-3). Callers authorize first (routes declare the
 * permission each call needs; see modules/access); every call runs in its tenant's transaction,
 * where row-level security keeps it inside that tenant.
 */
/** Who may create organizations (PARAPET_ORGANIZATION_CREATORS) and how many each user may have created. */
export interface OrganizationCreationPolicy {
  readonly creators: 'platform_admins' | 'any_user';
  /** Organizations one user may have created and not deleted; platform administrators are not limited. */
  readonly perUser: number;
}

export function createTenantsService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder; access: TenancyAccessHooks; creation: OrganizationCreationPolicy }) {
  const { transactor, clock, random, audit, access, creation } = deps;

  function inTenant<T>(tenantId: string, ctx: AuditContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return transactor.withTenant(tenantId, fn, ctx.userId);
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

  async function deleteOrganizationIn(tx: Tx, ctx: AuditContext, id: string): Promise<void> {
    await gone(await store.deleteOrganization(tx, id));
    await access.changed(tx, id);
    await record(tx, id, ctx, 'organization.deleted', [{ type: 'organization', id }]);
  }

  async function deleteProjectIn(tx: Tx, ctx: AuditContext, tenantId: string, id: string): Promise<void> {
    await gone(await store.deleteProject(tx, tenantId, id));
    await access.changed(tx, tenantId);
    await record(tx, tenantId, ctx, 'project.deleted', [{ type: 'project', id }]);
  }

  async function deleteEnvironmentIn(tx: Tx, ctx: AuditContext, tenantId: string, projectId: string, id: string): Promise<void> {
    await gone(await store.deleteEnvironment(tx, tenantId, projectId, id));
    await access.changed(tx, tenantId);
    await record(tx, tenantId, ctx, 'environment.deleted', [{ type: 'project', id: projectId }, { type: 'environment', id }]);
  }

  return {
    createOrganization: (ctx: AuditContext, name: string, creator: { readonly isPlatformAdmin: boolean }) => {
      // A platform setting, not a tenant's: who may create organizations, and how many each.
      if (!creator.isPlatformAdmin && creation.creators !== 'any_user') throw new AppError('organization_creation_restricted');
      const id = uuidv7(clock, random);
      const now = clock.now();
      return transactor.withTenant(
        id,
        async (tx) => {
          if (!creator.isPlatformAdmin && (await store.lockAndCountOrganizationsCreated(tx, ctx.userId)) >= creation.perUser) {
            throw new AppError('organization_limit_reached');
          }
          const org = { id, name, created_by: ctx.userId, created_at: now, updated_at: now };
          await store.insertOrganization(tx, org);
          await store.insertMembership(tx, id, ctx.userId, 'owner', now);
          await access.grantCreator(tx, id, ctx.userId, now);
          await access.changed(tx, id);
          await record(tx, id, ctx, 'organization.created', [{ type: 'organization', id, name }]);
          return org;
        },
        ctx.userId,
      );
    },
    listOrganizations: (ctx: AuditContext, page: PageRequest) => transactor.withActor(ctx.userId, (tx) => store.listOrganizations(tx, page.after, page.limit)),
    getOrganization: (ctx: AuditContext, id: string) => inTenant(id, ctx, async (tx) => found(await store.getOrganization(tx, id))),
    renameOrganization: (ctx: AuditContext, id: string, name: string) =>
      inTenant(id, ctx, async (tx) => {
        const org = found(await store.renameOrganization(tx, id, name, clock.now()));
        await record(tx, id, ctx, 'organization.renamed', [{ type: 'organization', id, name }]);
        return org;
      }),
    deleteOrganization: (ctx: AuditContext, id: string) => inTenant(id, ctx, (tx) => deleteOrganizationIn(tx, ctx, id)),

    createProject: (ctx: AuditContext, tenantId: string, name: string) =>
      inTenant(tenantId, ctx, async (tx) => {
        const now = clock.now();
        const project = { tenant_id: tenantId, id: uuidv7(clock, random), name, created_at: now, updated_at: now };
        await conflictOnDuplicate('A project with this name already exists.', () => store.insertProject(tx, project));
        await record(tx, tenantId, ctx, 'project.created', [{ type: 'project', id: project.id, name }]);
        return project;
      }),
    listProjects: (ctx: AuditContext, tenantId: string, page: PageRequest) => inTenant(tenantId, ctx, (tx) => store.listProjects(tx, tenantId, page.after, page.limit)),
    getProject: (ctx: AuditContext, tenantId: string, id: string) => inTenant(tenantId, ctx, async (tx) => found(await store.getProject(tx, tenantId, id))),
    renameProject: (ctx: AuditContext, tenantId: string, id: string, name: string) =>
      inTenant(tenantId, ctx, async (tx) => {
        const project = found(await conflictOnDuplicate('A project with this name already exists.', () => store.renameProject(tx, tenantId, id, name, clock.now())));
        await record(tx, tenantId, ctx, 'project.renamed', [{ type: 'project', id, name }]);
        return project;
      }),
    deleteProject: (ctx: AuditContext, tenantId: string, id: string) => inTenant(tenantId, ctx, (tx) => deleteProjectIn(tx, ctx, tenantId, id)),

    createEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, input: { name: string; kind: EnvironmentKind }) =>
      inTenant(tenantId, ctx, async (tx) => {
        found(await store.getProject(tx, tenantId, projectId));
        const now = clock.now();
        const environment = { tenant_id: tenantId, project_id: projectId, id: uuidv7(clock, random), name: input.name, kind: input.kind, created_at: now, updated_at: now };
        await conflictOnDuplicate('An environment with this name already exists in the project.', () => store.insertEnvironment(tx, environment));
        await access.changed(tx, tenantId);
        await record(tx, tenantId, ctx, 'environment.created', [{ type: 'project', id: projectId }, { type: 'environment', id: environment.id, name: input.name }], { kind: input.kind });
        return environment;
      }),
    listEnvironments: (ctx: AuditContext, tenantId: string, projectId: string, page: PageRequest) =>
      inTenant(tenantId, ctx, async (tx) => {
        found(await store.getProject(tx, tenantId, projectId));
        return store.listEnvironments(tx, tenantId, projectId, page.after, page.limit);
      }),
    getEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, id: string) =>
      inTenant(tenantId, ctx, async (tx) => found(await store.getEnvironment(tx, tenantId, projectId, id))),
    updateEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, id: string, changes: { name?: string; kind?: EnvironmentKind }) =>
      inTenant(tenantId, ctx, async (tx) => {
        const environment = found(
          await conflictOnDuplicate('An environment with this name already exists in the project.', () =>
            store.updateEnvironment(tx, tenantId, projectId, id, changes, clock.now()),
          ),
        );
        await record(tx, tenantId, ctx, 'environment.updated', [{ type: 'project', id: projectId }, { type: 'environment', id, name: environment.name }], { kind: environment.kind });
        return environment;
      }),
    deleteEnvironment: (ctx: AuditContext, tenantId: string, projectId: string, id: string) => inTenant(tenantId, ctx, (tx) => deleteEnvironmentIn(tx, ctx, tenantId, projectId, id)),

    /**
     * The deletions as steps of a caller's transaction, for the risky-write approval that executes
     * them (AC-7), and the existence checks made before one is queued.
     */
    inTransaction: {
      deleteOrganization: deleteOrganizationIn,
      deleteProject: deleteProjectIn,
      deleteEnvironment: deleteEnvironmentIn,
      assertOrganization: async (tx: Tx, id: string) => void found(await store.getOrganization(tx, id)),
      assertProject: async (tx: Tx, tenantId: string, id: string) => void found(await store.getProject(tx, tenantId, id)),
      assertEnvironment: async (tx: Tx, tenantId: string, projectId: string, id: string) => void found(await store.getEnvironment(tx, tenantId, projectId, id)),
    },
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
