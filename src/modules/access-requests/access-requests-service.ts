import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { factsFor, isBuiltInRole, type AccessControl, type AccessService, type BuiltInRoleKey, type Caller, type Permission } from '../access/index.ts';
import type { AuditEventInput, AuditTarget } from '../audit/index.ts';
import type { AccessRequestStatus } from './access-requests-tables.ts';
import { tenancy } from '../tenants/index.ts';
import * as store from './access-requests-store.ts';
import type { AccessRequestRow } from './access-requests-store.ts';
import type { SecurityAlerts } from '../alerts/index.ts';

/** AC-6: break-glass access lasts at most this long. */
export const BREAK_GLASS_MAX_MINUTES = 60;
/** Pending requests one user may have open in one organization (keeps approvers' queues usable). */
const MAX_PENDING_PER_USER = 20;

export interface AccessRequestInput {
  /** A built-in role key or a custom role id of the organization. */
  readonly role: string;
  readonly scope: { readonly project_id?: string | undefined; readonly environment_id?: string | undefined };
  readonly reason: string;
  readonly duration_minutes: number;
  readonly break_glass?: boolean | undefined;
  /** With `approved: true`: an approver opens a grant for this operator directly (a tenant-opened support request). */
  readonly principal_id?: string | undefined;
  readonly approved?: boolean | undefined;
}

/** The status clients see: an approved grant past its expiry reads `expired`. */
export type VisibleStatus = AccessRequestStatus | 'expired';

export function visibleStatus(row: AccessRequestRow, now: Date): VisibleStatus {
  return row.status === 'approved' && row.expires_at !== null && row.expires_at.getTime() <= now.getTime() ? 'expired' : row.status;
}

function isOperator(ctx: Caller): boolean {
  return ctx.principal.kind === 'user' && ctx.principal.isPlatformAdmin;
}

function userIdOf(ctx: Caller): string {
  if (ctx.principal.kind !== 'user') throw new AppError('forbidden', { detail: 'Only a signed-in user can request or approve access.' });
  return ctx.principal.userId;
}

/**
 * Just-in-time access (AC-4) and break-glass (AC-6). A user asks for a role at a scope for a
 * while, with a reason; a different person holding `access.approve` (and every permission of the
 * role at that scope) approves, which creates a role binding that expires by itself and carries
 * the request's id as its `grant_id`, so every use is attributable. Platform operators have no
 * standing access: they may ask in an organization they know the id of, and in an emergency break
 * the glass, which grants at once for at most an hour and raises an alert to the tenant's admins.
 */
export function createAccessRequestsService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: { record: (tx: Tx, tenantId: string, input: AuditEventInput) => Promise<string> };
  access: AccessControl;
  accessService: Pick<AccessService, 'createBinding' | 'deleteBinding' | 'getRole'>;
  alerts: Pick<SecurityAlerts, 'raise'>;
  logger: Logger;
  maxMinutes: number;
  /** Whether a user is an enabled platform administrator whose flag carries its MAC (identity's check). */
  isPlatformOperator: (userId: string) => Promise<boolean>;
}) {
  const { transactor, clock, random, audit, access, accessService, alerts, logger } = deps;

  function record(tx: Tx, tenantId: string, ctx: Caller, action: AuditEventInput['action'], targets: AuditTarget[], metadata?: AuditEventInput['metadata']) {
    return audit.record(tx, tenantId, { action, actor: ctx.actor, outcome: 'success', source: ctx.source, targets, ...(metadata === undefined ? {} : { metadata }) });
  }

  async function holds(ctx: Caller, permission: Permission, tenantId: string): Promise<boolean> {
    return (await access.can(ctx.principal, permission, { tenantId }, factsFor(ctx.principal, ctx.source.ip ?? '', clock.now()))).allowed;
  }

  /**
   * Who may see requests: approvers see all; requesters (members holding `access.request`, or
   * platform operators, who need no membership to ask) see those they made or would receive.
   * Anyone else is refused as the route hook would refuse them (404 for non-members, audited).
   */
  async function visibility(ctx: Caller, tenantId: string): Promise<'all' | 'own'> {
    if ((await access.snapshot(tenantId)) === undefined) throw new AppError('not_found');
    if (await holds(ctx, 'access.approve', tenantId)) return 'all';
    if (isOperator(ctx)) return 'own';
    await access.authorize(ctx, 'access.request', { tenantId });
    return 'own';
  }

  /** The role must exist in the organization; the scope must name a project (and environment) of it. */
  async function validateTarget(tenantId: string, input: AccessRequestInput): Promise<{ role: string; projectId: string | null; environmentId: string | null }> {
    let role: string;
    if (isBuiltInRole(input.role)) role = input.role;
    else if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.role)) {
      role = input.role.toLowerCase();
      await accessService.getRole(tenantId, role).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'not_found') throw new AppError('invalid_request', { errors: [{ pointer: '/role', detail: 'no such role in this organization' }] });
        throw error;
      });
    } else throw new AppError('invalid_request', { errors: [{ pointer: '/role', detail: 'no such role in this organization' }] });
    const projectId = input.scope.project_id?.toLowerCase();
    const environmentId = input.scope.environment_id?.toLowerCase();
    if (environmentId !== undefined && projectId === undefined) throw new AppError('invalid_request', { errors: [{ pointer: '/scope/project_id', detail: 'an environment scope names its project too' }] });
    if (projectId !== undefined && !(await transactor.withTenant(tenantId, (tx) => environmentId === undefined ? tenancy.projectExists(tx, tenantId, projectId) : tenancy.environmentExists(tx, tenantId, projectId, environmentId)))) {
      throw new AppError('invalid_request', { errors: [{ pointer: '/scope', detail: 'no such project or environment in this organization' }] });
    }
    return { role, projectId: projectId ?? null, environmentId: environmentId ?? null };
  }

  const targetsOf = (row: AccessRequestRow): AuditTarget[] => [
    { type: 'access_request', id: row.id },
    { type: 'user', id: row.principal_id },
    { type: 'role', id: row.role },
  ];
  const scopeMetadata = (row: AccessRequestRow) => ({ role: row.role, project_id: row.project_id, environment_id: row.environment_id, duration_minutes: row.duration_minutes });

  /**
   * Turns a pending request into a grant decided by `decider`: claims the request first (so two
   * approvers cannot both grant), then binds through the access service, whose escalation check
   * refuses a decider who does not hold every permission of the role at the scope.
   */
  async function grant(decider: Caller, tenantId: string, id: string, action: 'access.approved' | 'access.granted'): Promise<AccessRequestRow> {
    const deciderId = userIdOf(decider);
    const now = clock.now();
    const claimed = await transactor.withTenant(tenantId, (tx) => store.transitionRequest(tx, tenantId, id, 'pending', { status: 'approved', decided_by: deciderId, decided_at: now }));
    if (claimed === undefined) throw new AppError('conflict', { detail: 'The request is no longer pending.' });
    const expiresAt = new Date(now.getTime() + claimed.duration_minutes * 60_000);
    let bindingId: string;
    try {
      const binding = await accessService.createBinding(
        decider,
        tenantId,
        {
          principal: { type: 'user', id: claimed.principal_id },
          role: claimed.role,
          scope: { project_id: claimed.project_id ?? undefined, environment_id: claimed.environment_id ?? undefined },
          expires_at: expiresAt,
        },
        { grantId: claimed.id, allowNonMember: claimed.operator },
      );
      bindingId = binding.id;
    } catch (error) {
      await transactor.withTenant(tenantId, (tx) => store.transitionRequest(tx, tenantId, id, 'approved', { status: 'pending', decided_by: null, decided_at: null }));
      throw error;
    }
    return transactor.withTenant(tenantId, async (tx) => {
      const row = await store.transitionRequest(tx, tenantId, id, 'approved', { binding_id: bindingId, expires_at: expiresAt });
      if (row === undefined) throw new AppError('conflict');
      await record(tx, tenantId, decider, action, [...targetsOf(row), { type: 'binding', id: bindingId }], { ...scopeMetadata(row), requester_id: row.requester_id, expires_at: expiresAt.toISOString() });
      return row;
    });
  }

  /** AC-6: an operator's emergency access, granted at once, loud. */
  async function breakGlass(ctx: Caller, tenantId: string, input: AccessRequestInput, target: Awaited<ReturnType<typeof validateTarget>>): Promise<AccessRequestRow> {
    const operatorId = userIdOf(ctx);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + input.duration_minutes * 60_000);
    const requestId = uuidv7(clock, random);
    const bindingId = uuidv7(clock, random);
    const builtIn: BuiltInRoleKey | null = isBuiltInRole(target.role) ? target.role : null;
    const row: AccessRequestRow = {
      tenant_id: tenantId,
      id: requestId,
      requester_id: operatorId,
      principal_id: operatorId,
      operator: true,
      role: target.role,
      project_id: target.projectId,
      environment_id: target.environmentId,
      reason: input.reason.trim(),
      duration_minutes: input.duration_minutes,
      break_glass: true,
      status: 'approved',
      decided_by: operatorId,
      decided_at: now,
      binding_id: bindingId,
      expires_at: expiresAt,
      created_at: now,
    };
    await transactor.withTenant(tenantId, async (tx) => {
      await store.insertRequest(tx, row);
      // No escalation check here, by design: the operator holds nothing in the tenant. What makes
      // this acceptable is the cap, the alert and the records below, all in this transaction.
      await access.insertBinding(tx, {
        tenant_id: tenantId,
        id: bindingId,
        principal_type: 'user',
        principal_id: operatorId,
        built_in_role: builtIn,
        custom_role_id: builtIn === null ? target.role : null,
        project_id: target.projectId,
        environment_id: target.environmentId,
        conditions: null,
        expires_at: expiresAt,
        grant_id: requestId,
        created_by: operatorId,
        created_at: now,
        last_used_at: null,
      });
      await access.changed(tx, tenantId);
      const metadata = { ...scopeMetadata(row), expires_at: expiresAt.toISOString(), break_glass: true };
      await record(tx, tenantId, ctx, 'access.break_glass', [...targetsOf(row), { type: 'binding', id: bindingId }], { ...metadata, reason: row.reason });
      await record(tx, tenantId, ctx, 'binding.created', [{ type: 'user', id: operatorId }, { type: 'role', id: target.role }], {
        project_id: target.projectId,
        environment_id: target.environmentId,
        conditions: null,
        expires_at: expiresAt.toISOString(),
        grant_id: requestId,
        break_glass: true,
      });
      await alerts.raise(tx, tenantId, ctx, {
        kind: 'break_glass',
        severity: 'high',
        summary: `Platform operator ${ctx.actor.display_name ?? operatorId} broke the glass: role ${target.role} for ${input.duration_minutes} min, until ${expiresAt.toISOString()}.`,
        actorId: operatorId,
        subject: { type: 'access_request', id: requestId },
      });
    });
    logger.warn({ tenantId, requestId, operatorId, role: target.role, expiresAt: expiresAt.toISOString() }, 'break-glass access granted');
    return row;
  }

  return {
    /**
     * Files a request (or, for operators, breaks the glass; for approvers, opens a support grant).
     * Authorizes itself: the route is `self` so that a platform operator who is not a member can
     * still ask; members need `access.request`; anyone else gets 404 as if the organization did not exist.
     */
    create: async (ctx: Caller, tenantId: string, input: AccessRequestInput): Promise<AccessRequestRow> => {
      const userId = userIdOf(ctx);
      if ((await access.snapshot(tenantId)) === undefined) throw new AppError('not_found');
      const direct = input.principal_id !== undefined || input.approved !== undefined;
      if (direct && (input.principal_id === undefined || input.approved !== true)) {
        throw new AppError('invalid_request', { errors: [{ pointer: '/approved', detail: 'a grant for someone else names principal_id and sets approved: true' }] });
      }
      if (direct) await access.authorize(ctx, 'access.approve', { tenantId });
      else if (!isOperator(ctx)) await access.authorize(ctx, 'access.request', { tenantId });
      if (input.break_glass === true) {
        if (!isOperator(ctx)) throw new AppError('forbidden', { detail: 'Only platform operators can break the glass; ask for access and have it approved.' });
        if (direct) throw new AppError('invalid_request', { errors: [{ pointer: '/break_glass', detail: 'break-glass access is for the operator asking' }] });
      }
      const reason = input.reason.trim();
      if (reason.length < 10) throw new AppError('invalid_request', { errors: [{ pointer: '/reason', detail: 'must say why, in at least 10 characters' }] });
      const max = input.break_glass === true ? BREAK_GLASS_MAX_MINUTES : deps.maxMinutes;
      if (input.duration_minutes > max) {
        throw new AppError('invalid_request', { errors: [{ pointer: '/duration_minutes', detail: `at most ${max} minutes${input.break_glass === true ? ' for break-glass access' : ''}` }] });
      }
      const target = await validateTarget(tenantId, input);
      if (input.break_glass === true) return breakGlass(ctx, tenantId, { ...input, reason }, target);

      const principalId = direct ? (input.principal_id ?? '').toLowerCase() : userId;
      if (direct && principalId === userId) throw new AppError('self_approval_refused', { detail: 'Ask for access and have someone else approve it.' });
      // An operator's platform-administrator flag counts only under its row MAC (issue 13): a flag
      // set by injected SQL does not make a principal an operator here.
      const operator = direct ? await deps.isPlatformOperator(principalId) : isOperator(ctx);
      const row = await transactor.withTenant(tenantId, async (tx) => {
        // The same answer for an id that exists nowhere: nothing about other accounts leaks.
        if (direct && !operator) throw new AppError('invalid_request', { errors: [{ pointer: '/principal_id', detail: 'not a platform operator (bind roles to members through /bindings)' }] });
        if ((await store.countPending(tx, tenantId, userId)) >= MAX_PENDING_PER_USER) throw new AppError('conflict', { detail: `You already have ${MAX_PENDING_PER_USER} pending requests here.` });
        const now = clock.now();
        const request: AccessRequestRow = {
          tenant_id: tenantId,
          id: uuidv7(clock, random),
          requester_id: userId,
          principal_id: principalId,
          operator,
          role: target.role,
          project_id: target.projectId,
          environment_id: target.environmentId,
          reason,
          duration_minutes: input.duration_minutes,
          break_glass: false,
          status: 'pending',
          decided_by: null,
          decided_at: null,
          binding_id: null,
          expires_at: null,
          created_at: now,
        };
        await store.insertRequest(tx, request);
        if (!direct) await record(tx, tenantId, ctx, 'access.requested', targetsOf(request), { ...scopeMetadata(request), operator, reason });
        return request;
      });
      if (!direct) return row;
      try {
        return await grant(ctx, tenantId, row.id, 'access.granted');
      } catch (error) {
        // A support grant the approver could not give (e.g. a role beyond their own) leaves no pending request behind.
        await transactor.withTenant(tenantId, (tx) => store.transitionRequest(tx, tenantId, row.id, 'pending', { status: 'cancelled', decided_by: userId, decided_at: clock.now() }));
        throw error;
      }
    },

    list: async (ctx: Caller, tenantId: string, filter: { status?: AccessRequestStatus | undefined; after?: string | undefined; limit: number }) => {
      const scope = await visibility(ctx, tenantId);
      return transactor.withTenant(tenantId, (tx) => store.listRequests(tx, tenantId, { ...filter, involving: scope === 'all' ? undefined : userIdOf(ctx) }));
    },

    get: async (ctx: Caller, tenantId: string, id: string) => {
      const scope = await visibility(ctx, tenantId);
      const row = await transactor.withTenant(tenantId, (tx) => store.getRequest(tx, tenantId, id));
      const me = ctx.principal.kind === 'user' ? ctx.principal.userId : '';
      if (row === undefined || (scope === 'own' && row.requester_id !== me && row.principal_id !== me)) throw new AppError('not_found');
      return row;
    },

    /** A different person approves (AC-4): never the requester, never the one who would receive the grant. */
    approve: async (ctx: Caller, tenantId: string, id: string) => {
      const deciderId = userIdOf(ctx);
      const row = await transactor.withTenant(tenantId, (tx) => store.getRequest(tx, tenantId, id));
      if (row === undefined) throw new AppError('not_found');
      if (row.requester_id === deciderId || row.principal_id === deciderId) {
        await transactor.withTenant(tenantId, (tx) =>
          audit.record(tx, tenantId, { action: 'authz.denied', actor: ctx.actor, outcome: 'denied', source: ctx.source, targets: targetsOf(row), metadata: { permission: 'access.approve', reason: 'self_approval_refused' } }),
        );
        throw new AppError('self_approval_refused', { detail: 'Someone other than the requester must approve this request.' });
      }
      if (row.status !== 'pending') throw new AppError('conflict', { detail: `The request is ${visibleStatus(row, clock.now())}, not pending.` });
      return grant(ctx, tenantId, id, 'access.approved');
    },

    reject: async (ctx: Caller, tenantId: string, id: string) => {
      const deciderId = userIdOf(ctx);
      return transactor.withTenant(tenantId, async (tx) => {
        const existing = await store.getRequest(tx, tenantId, id);
        if (existing === undefined) throw new AppError('not_found');
        const row = await store.transitionRequest(tx, tenantId, id, 'pending', { status: 'rejected', decided_by: deciderId, decided_at: clock.now() });
        if (row === undefined) throw new AppError('conflict', { detail: `The request is ${visibleStatus(existing, clock.now())}, not pending.` });
        await record(tx, tenantId, ctx, 'access.rejected', targetsOf(row), { ...scopeMetadata(row), requester_id: row.requester_id });
        return row;
      });
    },

    /** Only the requester withdraws a pending request; others who can see it get 403, the rest 404. */
    cancel: async (ctx: Caller, tenantId: string, id: string) => {
      const scope = await visibility(ctx, tenantId);
      const me = userIdOf(ctx);
      return transactor.withTenant(tenantId, async (tx) => {
        const existing = await store.getRequest(tx, tenantId, id);
        if (existing === undefined || (scope === 'own' && existing.requester_id !== me && existing.principal_id !== me)) throw new AppError('not_found');
        if (existing.requester_id !== me) throw new AppError('forbidden', { detail: 'Only the requester can withdraw a request; approvers reject it.' });
        const row = await store.transitionRequest(tx, tenantId, id, 'pending', { status: 'cancelled', decided_by: me, decided_at: clock.now() });
        if (row === undefined) throw new AppError('conflict', { detail: `The request is ${visibleStatus(existing, clock.now())}, not pending.` });
        await record(tx, tenantId, ctx, 'access.cancelled', targetsOf(row), scopeMetadata(row));
        return row;
      });
    },

    /** Ends an active grant early (e.g. after a break-glass alert): removes its binding. */
    revoke: async (ctx: Caller, tenantId: string, id: string) => {
      const row = await transactor.withTenant(tenantId, (tx) => store.getRequest(tx, tenantId, id));
      if (row === undefined) throw new AppError('not_found');
      if (visibleStatus(row, clock.now()) !== 'approved' || row.binding_id === null) throw new AppError('conflict', { detail: `The request is ${visibleStatus(row, clock.now())}, not an active grant.` });
      await accessService.deleteBinding(ctx, tenantId, row.binding_id).catch((error: unknown) => {
        // Already removed through /bindings: the grant is over either way.
        if (!(error instanceof AppError && error.code === 'not_found')) throw error;
      });
      return transactor.withTenant(tenantId, async (tx) => {
        const revoked = await store.transitionRequest(tx, tenantId, id, 'approved', { status: 'revoked' });
        if (revoked === undefined) throw new AppError('conflict');
        await record(tx, tenantId, ctx, 'access.revoked', [...targetsOf(revoked), { type: 'binding', id: row.binding_id ?? '' }], scopeMetadata(revoked));
        return revoked;
      });
    },
  };
}

export type AccessRequestsService = ReturnType<typeof createAccessRequestsService>;
