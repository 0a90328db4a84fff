import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { conflictOnDuplicate } from '../../platform/db/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditEventInput, AuditRecorder, AuditTarget } from '../audit/index.ts';
import { factsFor, type AccessControl } from './access-control.ts';
import { snapshotSource } from './access-cache.ts';
import { reviewAndRecord, type ReviewContributor } from './access-review.ts';
import type { UnsealedBinding } from './binding-integrity.ts';
import * as store from './access-store.ts';
import type { PrincipalType } from './access-tables.ts';
import { conditionProblems, type Conditions } from './conditions.ts';
import { decide } from './evaluator.ts';
import { BUILT_IN_ROLES, isBuiltInRole, isPermission, type Permission } from './permissions.ts';
import type { Principal, Resource } from './principal.ts';
import { tenancy } from '../tenants/index.ts';

/** The caller of a management operation: who (for escalation checks) and how to record it. */
export type Caller = AuditContext & { readonly principal: Principal };

export interface BindingInput {
  readonly principal: { readonly type: PrincipalType; readonly id: string };
  /** A built-in role key or a custom role id. */
  readonly role: string;
  readonly scope: { readonly project_id?: string | undefined; readonly environment_id?: string | undefined };
  readonly conditions?: Conditions | undefined;
  readonly expires_at?: Date | undefined;
}

/**
 * Roles, role bindings and service accounts of an organization (AC-1, AC-2, AC-3). Routes have
 * already checked the route-level permission (`access.manage` …); this service adds the checks
 * that depend on the payload: nobody grants what they do not hold at the binding's scope, bound
 * principals belong to the organization, and the organization keeps a Tenant Admin.
 */
export function createAccessService(deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder; access: AccessControl; reviewContributors?: readonly ReviewContributor[] }) {
  const { transactor, clock, random, audit, access } = deps;

  function record(tx: Tx, tenantId: string, ctx: Caller, action: AuditEventInput['action'], targets: AuditTarget[], metadata?: AuditEventInput['metadata']) {
    return audit.record(tx, tenantId, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets, ...(metadata === undefined ? {} : { metadata }) });
  }

  /**
   * Refuses unless the caller holds every permission in `permissions` at `resource` now: nobody
   * grants what they do not hold, and nobody takes away what they do not hold either (a Tenant
   * Admin holds everything). `verb` only words the refusal.
   */
  async function assertHoldsAll(ctx: Caller, permissions: Iterable<Permission>, scope: Resource, verb: 'grant' | 'remove' = 'grant'): Promise<void> {
    // Ids arrive as the client spelled them (UUIDs are case-insensitive); the snapshot knows one spelling.
    const resource = { tenantId: scope.tenantId.toLowerCase(), projectId: scope.projectId?.toLowerCase(), environmentId: scope.environmentId?.toLowerCase() };
    const snapshot = await access.snapshot(resource.tenantId);
    if (snapshot === undefined) throw new AppError('not_found');
    const facts = factsFor(ctx.principal, ctx.source.ip ?? '', clock.now());
    const missing = [...permissions].filter((permission) => !decide(snapshot, ctx.principal, permission, resource, facts).allowed);
    if (missing.length > 0) {
      throw new AppError('forbidden', { detail: `You cannot ${verb} what you do not hold here: ${missing.join(', ')}.` });
    }
  }

  /** The permissions a binding gives, resolved in `tx` (a custom role that is gone gives none). */
  async function bindingPermissions(tx: Tx, tenantId: string, row: store.BindingRow): Promise<Permission[]> {
    if (row.built_in_role !== null) return [...BUILT_IN_ROLES[row.built_in_role].permissions];
    const role = row.custom_role_id === null ? undefined : await store.getRole(tx, access.integrity, tenantId, row.custom_role_id);
    return role?.permissions.filter(isPermission) ?? [];
  }

  /** Each live binding of a principal with the permissions it gives (read in one transaction). */
  async function liveBindingsOf(tenantId: string, principalId: string): Promise<{ row: store.BindingRow; permissions: Permission[] }[]> {
    const now = clock.now().getTime();
    return transactor.withTenant(tenantId, async (tx) => {
      const rows = (await store.bindingsOfPrincipal(tx, access.integrity, tenantId, principalId)).filter((row) => row.expires_at === null || row.expires_at.getTime() > now);
      return Promise.all(rows.map(async (row) => ({ row, permissions: await bindingPermissions(tx, tenantId, row) })));
    });
  }

  /** The removal rule for every binding at once: the caller must hold each one's permissions at its scope. */
  async function assertMayRemoveAll(ctx: Caller, tenantId: string, bindings: readonly { row: store.BindingRow; permissions: readonly Permission[] }[]): Promise<void> {
    for (const { row, permissions } of bindings) {
      await assertHoldsAll(ctx, permissions, { tenantId, projectId: row.project_id ?? undefined, environmentId: row.environment_id ?? undefined }, 'remove');
    }
  }

  function validPermissions(permissions: readonly string[]): Permission[] {
    const unknown = permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0) throw new AppError('invalid_request', { errors: unknown.map((p) => ({ pointer: '/permissions', detail: `unknown permission: ${p}` })) });
    return [...new Set(permissions)] as Permission[];
  }

  async function rolePermissions(tx: Tx, tenantId: string, role: string): Promise<{ builtIn: string | null; customId: string | null; permissions: Permission[] }> {
    if (isBuiltInRole(role)) return { builtIn: role, customId: null, permissions: [...BUILT_IN_ROLES[role].permissions] };
    const custom = /^[0-9a-f-]{36}$/i.test(role) ? await store.getRole(tx, access.integrity, tenantId, role.toLowerCase()) : undefined;
    if (custom === undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/role', detail: 'no such role in this organization' }] });
    return { builtIn: null, customId: custom.id, permissions: custom.permissions.filter(isPermission) };
  }

  /**
   * Refuses when removing `removing` would leave no user holding Tenant Admin over the whole
   * organization without conditions or expiry. The admin bindings are locked (`FOR UPDATE`) first,
   * so two removals at once are serialized: the second sees what the first left.
   */
  async function assertKeepsAnAdmin(tx: Tx, tenantId: string, removing: ReadonlySet<string>): Promise<void> {
    const admins = await store.lockTenantAdminBindings(tx, access.integrity, tenantId);
    if (admins.some((row) => removing.has(row.id)) && admins.every((row) => removing.has(row.id))) {
      throw new AppError('conflict', { detail: 'This is the last Tenant Admin binding of the organization.' });
    }
  }

  return {
    listRoles: (tenantId: string) => transactor.withTenant(tenantId, (tx) => store.listRoles(tx, access.integrity, tenantId)),
    getRole: (tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const role = await store.getRole(tx, access.integrity, tenantId, id);
        if (role === undefined) throw new AppError('not_found');
        return role;
      }),
    createRole: async (ctx: Caller, tenantId: string, input: { name: string; description: string; permissions: readonly string[] }) => {
      const permissions = validPermissions(input.permissions);
      await assertHoldsAll(ctx, permissions, { tenantId });
      const now = clock.now();
      const role = { tenant_id: tenantId, id: uuidv7(clock, random), name: input.name, description: input.description, permissions, created_at: now, updated_at: now };
      return transactor.withTenant(tenantId, async (tx) => {
        const stored = await conflictOnDuplicate('A role with this name already exists.', () => store.insertRole(tx, access.integrity, role));
        await record(tx, tenantId, ctx, 'role.created', [{ type: 'role', id: role.id, name: role.name }], { permissions: permissions.join(' ') });
        return stored;
      });
    },
    updateRole: async (ctx: Caller, tenantId: string, id: string, changes: { name?: string | undefined; description?: string | undefined; permissions?: readonly string[] | undefined }) => {
      const permissions = changes.permissions === undefined ? undefined : validPermissions(changes.permissions);
      if (permissions !== undefined) {
        await assertHoldsAll(ctx, permissions, { tenantId });
        // Narrowing a role takes permissions away from everyone bound to it: only from a holder.
        const current = await transactor.withTenant(tenantId, (tx) => store.getRole(tx, access.integrity, tenantId, id));
        if (current === undefined) throw new AppError('not_found');
        await assertHoldsAll(ctx, current.permissions.filter(isPermission), { tenantId }, 'remove');
      }
      return transactor.withTenant(tenantId, async (tx) => {
        const patch = { ...(changes.name === undefined ? {} : { name: changes.name }), ...(changes.description === undefined ? {} : { description: changes.description }), ...(permissions === undefined ? {} : { permissions }) };
        const role = await conflictOnDuplicate('A role with this name already exists.', () => store.updateRole(tx, access.integrity, tenantId, id, patch, clock.now()));
        if (role === undefined) throw new AppError('not_found');
        await access.changed(tx, tenantId);
        await record(tx, tenantId, ctx, 'role.updated', [{ type: 'role', id, name: role.name }], { permissions: role.permissions.join(' ') });
        return role;
      });
    },
    /** Deletes a custom role nobody is bound to; only someone holding all of its permissions may. */
    deleteRole: async (ctx: Caller, tenantId: string, id: string) => {
      const role = await transactor.withTenant(tenantId, (tx) => store.getRole(tx, access.integrity, tenantId, id));
      if (role === undefined) throw new AppError('not_found');
      await assertHoldsAll(ctx, role.permissions.filter(isPermission), { tenantId }, 'remove');
      await transactor.withTenant(tenantId, async (tx) => {
        if (await store.roleInUse(tx, tenantId, id)) throw new AppError('conflict', { detail: 'The role is still bound; remove its bindings first.' });
        if (!(await store.deleteRole(tx, tenantId, id))) throw new AppError('not_found');
        await record(tx, tenantId, ctx, 'role.deleted', [{ type: 'role', id }]);
      });
    },

    /**
     * Resolves `role` in the organization and refuses unless the caller holds every permission of
     * it at organization scope: what invitations check before promising a role (no escalation).
     */
    assertGrantable: async (ctx: Caller, tenantId: string, role: string) => {
      const resolved = await transactor.withTenant(tenantId, (tx) => rolePermissions(tx, tenantId, role));
      await assertHoldsAll(ctx, resolved.permissions, { tenantId });
      return resolved;
    },

    listBindings: (tenantId: string, filter: { principalId?: string | undefined; after?: string | undefined; limit: number }) => transactor.withTenant(tenantId, (tx) => store.listBindings(tx, access.integrity, tenantId, filter)),
    getBinding: (tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const binding = await store.getBinding(tx, access.integrity, tenantId, id);
        if (binding === undefined) throw new AppError('not_found');
        return binding;
      }),
    /**
     * Binds a role to a member or service account at a scope. The caller must hold every permission
     * of the role at that scope (no escalation), the principal must belong to this organization, and
     * a project or environment must exist in it.
     */
    createBinding: async (ctx: Caller, tenantId: string, input: BindingInput, options: { grantId?: string; allowNonMember?: boolean } = {}) => {
      const problems = input.conditions === undefined ? [] : conditionProblems(input.conditions);
      if (problems.length > 0) throw new AppError('invalid_request', { errors: problems.map((detail) => ({ pointer: '/conditions', detail })) });
      const now = clock.now();
      if (input.expires_at !== undefined && input.expires_at.getTime() <= now.getTime()) throw new AppError('invalid_request', { errors: [{ pointer: '/expires_at', detail: 'must be in the future' }] });
      const projectId = input.scope.project_id?.toLowerCase();
      const environmentId = input.scope.environment_id?.toLowerCase();
      if (environmentId !== undefined && projectId === undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/scope/project_id', detail: 'an environment scope names its project too' }] });
      const principalId = input.principal.id.toLowerCase();
      const { builtIn, customId, permissions } = await transactor.withTenant(tenantId, (tx) => rolePermissions(tx, tenantId, input.role));
      await assertHoldsAll(ctx, permissions, { tenantId, projectId, environmentId });
      return transactor.withTenant(tenantId, async (tx) => {
        const belongs =
          input.principal.type === 'user'
            ? options.allowNonMember === true || (await store.isMember(tx, tenantId, principalId))
            : (await store.getServiceAccount(tx, tenantId, principalId))?.disabled_at === null;
        // The same answer whether the user exists elsewhere or not: nothing about other tenants leaks.
        if (!belongs) throw new AppError('invalid_request', { errors: [{ pointer: '/principal/id', detail: 'not a member or service account of this organization' }] });
        if (projectId !== undefined) {
          const found = environmentId === undefined ? await tenancy.projectExists(tx, tenantId, projectId) : await tenancy.environmentExists(tx, tenantId, projectId, environmentId);
          if (!found) throw new AppError('invalid_request', { errors: [{ pointer: '/scope', detail: 'no such project or environment in this organization' }] });
        }
        const binding: UnsealedBinding = {
          tenant_id: tenantId,
          id: uuidv7(clock, random),
          principal_type: input.principal.type,
          principal_id: principalId,
          built_in_role: builtIn as store.BindingRow['built_in_role'],
          custom_role_id: customId,
          project_id: projectId ?? null,
          environment_id: environmentId ?? null,
          conditions: input.conditions ?? null,
          expires_at: input.expires_at ?? null,
          grant_id: options.grantId ?? null,
          created_by: ctx.userId === '' ? null : ctx.userId,
          created_at: now,
          last_used_at: null,
        };
        await access.insertBinding(tx, binding);
        await access.changed(tx, tenantId);
        await record(
          tx,
          tenantId,
          ctx,
          'binding.created',
          [
            { type: input.principal.type, id: principalId },
            { type: 'role', id: builtIn ?? customId ?? '' },
          ],
          { project_id: projectId ?? null, environment_id: environmentId ?? null, conditions: input.conditions === undefined ? null : JSON.stringify(input.conditions), expires_at: input.expires_at?.toISOString() ?? null, grant_id: options.grantId ?? null },
        );
        return binding;
      });
    },
    /**
     * Removes a binding. The caller must hold every permission of its role at its scope (removing
     * is refused as granting is), and the organization keeps a Tenant Admin, also under concurrency.
     */
    deleteBinding: async (ctx: Caller, tenantId: string, id: string) => {
      const binding = await transactor.withTenant(tenantId, async (tx) => {
        const row = await store.getBinding(tx, access.integrity, tenantId, id);
        if (row === undefined) throw new AppError('not_found');
        return { row, permissions: await bindingPermissions(tx, tenantId, row) };
      });
      await assertMayRemoveAll(ctx, tenantId, [binding]);
      await transactor.withTenant(tenantId, async (tx) => {
        await assertKeepsAnAdmin(tx, tenantId, new Set([id]));
        // Removed meanwhile by someone else: the same answer as if it had never been there.
        if (!(await store.deleteBinding(tx, tenantId, id))) throw new AppError('not_found');
        await access.changed(tx, tenantId);
        await record(tx, tenantId, ctx, 'binding.deleted', [{ type: binding.row.principal_type, id: binding.row.principal_id }, { type: 'binding', id }]);
      });
    },

    /**
     * Refuses unless the caller holds every permission of every live binding of `principalId`, each
     * at its scope: what ending a member's sessions or removing the member takes away.
     */
    assertMayRemovePrincipal: async (ctx: Caller, tenantId: string, principalId: string) => {
      await assertMayRemoveAll(ctx, tenantId, await liveBindingsOf(tenantId, principalId));
    },

    /**
     * Inside the caller's transaction: ends every binding of `principalId` and returns their ids,
     * refusing (`conflict`) if that would leave the organization without a Tenant Admin.
     */
    endBindingsOf: async (tx: Tx, tenantId: string, principalId: string): Promise<string[]> => {
      const rows = await store.bindingsOfPrincipal(tx, access.integrity, tenantId, principalId);
      await assertKeepsAnAdmin(tx, tenantId, new Set(rows.map((row) => row.id)));
      await tx.deleteFrom('role_bindings').where('tenant_id', '=', tenantId).where('principal_id', '=', principalId).execute();
      await access.changed(tx, tenantId);
      return rows.map((row) => row.id);
    },

    /** Inside the caller's transaction: the ids of the live bindings of `principalId` (MAC checked). */
    bindingIdsOf: async (tx: Tx, tenantId: string, principalId: string): Promise<Set<string>> => new Set((await store.bindingsOfPrincipal(tx, access.integrity, tenantId, principalId)).map((row) => row.id)),

    /**
     * Inside the caller's transaction: ends the bindings `ids` of `principalId` (those still there)
     * and returns the ids ended, refusing (`conflict`) if that would leave the organization without
     * a Tenant Admin. For a system that made the bindings itself (SSO group rules) and now withdraws them.
     */
    endBindings: async (tx: Tx, tenantId: string, principalId: string, ids: readonly string[]): Promise<string[]> => {
      const wanted = new Set(ids);
      const rows = (await store.bindingsOfPrincipal(tx, access.integrity, tenantId, principalId)).filter((row) => wanted.has(row.id));
      if (rows.length === 0) return [];
      await assertKeepsAnAdmin(tx, tenantId, new Set(rows.map((row) => row.id)));
      await tx.deleteFrom('role_bindings').where('tenant_id', '=', tenantId).where('principal_id', '=', principalId).where('id', 'in', rows.map((row) => row.id)).execute();
      await access.changed(tx, tenantId);
      return rows.map((row) => row.id);
    },

    /** The access review (AC-5); recorded in the organization's audit log as evidence that it was run. */
    accessReview: async (ctx: Caller, tenantId: string, format: 'json' | 'csv') => {
      await access.flushUses();
      return transactor.withTenant(tenantId, async (tx) => {
        const review = await reviewAndRecord(tx, { audit, integrity: access.integrity, contributors: deps.reviewContributors ?? [] }, { tenantId, now: clock.now(), actor: ctx.actor, source: ctx.source, format });
        if (review === undefined) throw new AppError('not_found');
        return review;
      });
    },

    /** The organization's bindings snapshot in the SDK wire format's source form. */
    exportSnapshot: async (tenantId: string) => {
      const state = await transactor.withTenant(tenantId, (tx) => store.loadAccessState(tx, access.integrity, tenantId));
      if (state === undefined) throw new AppError('not_found');
      return snapshotSource(tenantId, state, clock.now());
    },

    listServiceAccounts: (tenantId: string, page: { after?: string | undefined; limit: number }) =>
      transactor.withTenant(tenantId, async (tx) => {
        let query = tx.selectFrom('service_accounts').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(page.limit + 1);
        if (page.after !== undefined) query = query.where('id', '>', page.after);
        return query.execute();
      }),
    getServiceAccount: (tenantId: string, id: string) =>
      transactor.withTenant(tenantId, async (tx) => {
        const account = await store.getServiceAccount(tx, tenantId, id);
        if (account === undefined) throw new AppError('not_found');
        return account;
      }),
    createServiceAccount: (ctx: Caller, tenantId: string, input: { name: string; description: string }) =>
      transactor.withTenant(tenantId, async (tx) => {
        const account = { tenant_id: tenantId, id: uuidv7(clock, random), name: input.name, description: input.description, created_by: ctx.userId === '' ? null : ctx.userId, created_at: clock.now(), disabled_at: null };
        await conflictOnDuplicate('A service account with this name already exists.', () => tx.insertInto('service_accounts').values(account).execute());
        await record(tx, tenantId, ctx, 'service_account.created', [{ type: 'service_account', id: account.id, name: account.name }]);
        return account;
      }),
    /**
     * Disables or re-enables; a disabled account's bindings grant nothing and its tokens stop
     * working. Either way the caller must hold what the account's bindings give (taking it away or
     * giving it back).
     */
    setServiceAccountDisabled: async (ctx: Caller, tenantId: string, id: string, disabled: boolean) => {
      await assertMayRemoveAll(ctx, tenantId, await liveBindingsOf(tenantId, id));
      return transactor.withTenant(tenantId, async (tx) => {
        const account = await tx
          .updateTable('service_accounts')
          .set({ disabled_at: disabled ? clock.now() : null })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        if (account === undefined) throw new AppError('not_found');
        await access.changed(tx, tenantId);
        await record(tx, tenantId, ctx, disabled ? 'service_account.disabled' : 'service_account.enabled', [{ type: 'service_account', id, name: account.name }]);
        return account;
      });
    },
    /** Deletes a service account with its bindings; the caller must hold what those bindings give. */
    deleteServiceAccount: async (ctx: Caller, tenantId: string, id: string) => {
      await assertMayRemoveAll(ctx, tenantId, await liveBindingsOf(tenantId, id));
      await transactor.withTenant(tenantId, async (tx) => {
        await tx.deleteFrom('role_bindings').where('tenant_id', '=', tenantId).where('principal_id', '=', id).where('principal_type', '=', 'service_account').execute();
        const result = await tx.deleteFrom('service_accounts').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
        if (result.numDeletedRows === 0n) throw new AppError('not_found');
        await access.changed(tx, tenantId);
        await record(tx, tenantId, ctx, 'service_account.deleted', [{ type: 'service_account', id }]);
      });
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
