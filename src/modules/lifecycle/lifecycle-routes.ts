import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses, Name, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { callerOf, type AccessControl } from '../access/index.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder } from '../audit/index.ts';
import { renameUser, type SessionCookie } from '../identity/index.ts';
import { auditActor, auditContext, requestSource, requireUser } from '../../platform/http/request-context.ts';
import type { DeletionService } from './deletion-service.ts';
import type { ExportService } from './export-service.ts';
import type { RetentionService } from './retention-service.ts';

const OrgParams = Strict({ orgId: Uuid });
const UserParams = Strict({ userId: Uuid });
const DataType = Type.String({ pattern: '^[a-z][a-z0-9_]{1,62}$', maxLength: 63 });
const Policy = Strict({
  type: Type.String(),
  description: Type.String(),
  days: Type.Integer(),
  default_days: Type.Integer(),
  min_days: Type.Integer(),
  max_days: Type.Integer(),
  overridden: Type.Boolean(),
});
const Policies = Strict({ items: Type.Array(Policy) });
const PlatformPolicy = Strict({ ...Policy.properties, scope: Type.Union([Type.Literal('tenant'), Type.Literal('platform')], { description: 'tenant: each organization may override it within the bounds; platform: one period for the whole installation' }) });
const PlatformPolicies = Strict({ items: Type.Array(PlatformPolicy) });
const PolicyChanges = Strict({
  policies: Type.Record(DataType, Nullable(Type.Integer({ minimum: 0, maximum: 36600 })), { maxProperties: 50, description: 'Days per data type; null returns the type to the platform default.' }),
});
const OrgDeletion = Strict({ status: Type.Union([Type.Literal('pending'), Type.Literal('none')]), requested_at: Nullable(Timestamp), purge_after: Nullable(Timestamp) });
const UserDeletion = Strict({ status: Type.Literal('pending'), purge_after: Timestamp, owner_notified: Type.Boolean() });
const SelfDeletion = Strict({ status: Type.Literal('pending'), purge_after: Timestamp, owner_notified: Type.Boolean(), cancel_token: Type.String({ description: 'Keep it: the account cannot sign in until the deletion is cancelled with this token (also sent to the account\u2019s address).' }) });
const User = Strict({ id: Uuid, email: Type.String(), display_name: Type.String() });

const toPolicy = (p: Awaited<ReturnType<RetentionService['organizationPolicies']>>[number]) => ({
  type: p.type,
  description: p.description,
  days: p.days,
  default_days: p.defaultDays,
  min_days: p.minDays,
  max_days: p.maxDays,
  overridden: p.overridden,
});

const ORG = '/api/v1/organizations/:orgId';

/**
 * App-wide: while an organization's deletion is pending it is read-only (after authorization, so
 * only members learn it): every unsafe request to a route naming the organization, in any module,
 * but the cancellation is refused.
 */
export function registerPendingDeletionGuard(root: FastifyInstance, deps: { deletions: Pick<DeletionService, 'isPendingDeletion'> }): void {
  root.addHook('preHandler', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const orgId = (request.params as { orgId?: unknown } | undefined)?.orgId;
    if (typeof orgId !== 'string' || request.routeOptions.url === `${ORG}/deletion`) return;
    if (await deps.deletions.isPendingDeletion(orgId.toLowerCase())) {
      throw new AppError('organization_pending_deletion', { detail: 'Cancel the deletion (DELETE …/deletion) to make changes again.' });
    }
  });
}

/**
 * Data lifecycle routes (DATA-1, DATA-2, DATA-3; docs/data-lifecycle.md): per-organization
 * retention, the personal data export, rectification of one's display name, and deletion of
 * accounts and organizations with a grace period.
 */
export function registerLifecycleRoutes(
  server: FastifyInstance,
  deps: { retention: RetentionService; deletions: DeletionService; exports: ExportService; access: AccessControl; transactor: AppTransactor; clock: Clock; audit: Pick<AuditRecorder, 'record'>; cookie: SessionCookie },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['lifecycle'];
  const org = ORG;

  app.get(`${org}/retention`, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'Retention periods of the organization\u2019s data types (its overrides and the platform defaults, with the allowed bounds)', params: OrgParams, response: { 200: Policies, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      return { items: (await deps.retention.organizationPolicies(orgId.toLowerCase())).map(toPolicy) };
    },
  });
  app.put(`${org}/retention`, {
    config: { permission: 'settings.manage' },
    schema: {
      tags,
      summary: 'Override retention periods within each type\u2019s bounds (null: back to the platform default); `audit` also needs audit.manage',
      params: OrgParams,
      body: PolicyChanges,
      response: { 200: Policies, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { orgId } = request.params;
      const tenantId = orgId.toLowerCase();
      const { policies } = request.body;
      // The audit log's retention is the audit module's setting: changing it here needs what changing it there needs.
      if (Object.hasOwn(policies, 'audit')) await deps.access.authorize(callerOf(request, auditActor, requestSource), 'audit.manage', { tenantId });
      await deps.retention.setOrganizationPolicies(auditContext(request), tenantId, policies);
      return { items: (await deps.retention.organizationPolicies(tenantId)).map(toPolicy) };
    },
  });

  app.get(`${org}/deletion`, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'Whether the organization\u2019s deletion is scheduled, and when it will be purged', params: OrgParams, response: { 200: OrgDeletion, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const row = await deps.deletions.organizationDeletion(orgId.toLowerCase());
      return row === undefined ? { status: 'none' as const, requested_at: null, purge_after: null } : { status: 'pending' as const, requested_at: row.requested_at.toISOString(), purge_after: row.purge_after.toISOString() };
    },
  });
  app.delete(`${org}/deletion`, {
    config: { permission: 'organization.delete' },
    schema: { tags, summary: 'Cancel the organization\u2019s scheduled deletion (until its grace period ends)', params: OrgParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      await deps.deletions.cancelOrganizationDeletion(auditContext(request), orgId.toLowerCase());
      return reply.status(204).send();
    },
  });

  app.get('/api/v1/users/me/export', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Download everything Parapet holds about you (JSON; schema: docs/data-export.schema.json)', response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses(401, 403) } },
    handler: async (request, reply) => {
      const user = requireUser(request);
      const document = await deps.exports.exportUser(auditContext(request), user.userId);
      return reply.header('content-disposition', 'attachment; filename="parapet-export.json"').header('cache-control', 'no-store').send(document);
    },
  });

  app.patch('/api/v1/users/me', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Change your display name (rectification)', body: Strict({ display_name: Name }), response: { 200: User, ...errorResponses(400, 401, 403) } },
    handler: async (request) => {
      const user = requireUser(request);
      const { display_name } = request.body;
      const ctx = auditContext(request);
      const now = deps.clock.now();
      return deps.transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const row = await renameUser(tx, user.userId, display_name, now);
        await deps.audit.record(tx, PLATFORM_TENANT_ID, { action: 'user.updated', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'user', id: user.userId }], metadata: { field: 'display_name' } });
        return row;
      });
    },
  });

  app.delete('/api/v1/users/me', {
    config: { permission: 'self' },
    schema: { tags, summary: `Delete your account after a grace period (${String(deps.deletions.graceDays)} days): you are signed out everywhere and cannot sign in until you cancel. 409 sole_owner while you are the last owner of an organization`, response: { 202: SelfDeletion, ...errorResponses(401, 403, 409) } },
    handler: async (request, reply) => {
      const user = requireUser(request);
      const result = await deps.deletions.requestUserDeletion(auditContext(request), user.userId, 'self');
      reply.clearCookie(deps.cookie.name, { path: '/', httpOnly: true, secure: deps.cookie.secure, sameSite: 'lax' });
      return reply.status(202).send({ status: 'pending', purge_after: result.purgeAfter.toISOString(), owner_notified: result.ownerNotified, cancel_token: result.cancelToken });
    },
  });
  app.post('/api/v1/users/deletion/cancel', {
    config: { permission: 'public', rateLimit: 'auth' },
    schema: { tags, summary: 'Cancel your account\u2019s pending deletion with the cancel token', body: Strict({ token: Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' }) }), response: { 204: NoContent, ...errorResponses(400, 429) } },
    handler: async (request, reply) => {
      const { token } = request.body;
      await deps.deletions.cancelUserDeletionWithToken(token, requestSource(request));
      return reply.status(204).send();
    },
  });

  // Platform administrators: delete another account, or cancel its deletion. Anyone else gets 404.
  const operator = (request: Parameters<typeof requireUser>[0]) => {
    const user = requireUser(request);
    if (!user.isPlatformAdmin) throw new AppError('not_found');
    return user;
  };
  app.delete('/api/v1/users/:userId', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Platform administrators: delete an account after the grace period (409 sole_owner while it is the last owner of an organization)', params: UserParams, response: { 202: UserDeletion, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request, reply) => {
      operator(request);
      const { userId } = request.params;
      const result = await deps.deletions.requestUserDeletion(auditContext(request), userId.toLowerCase(), 'operator');
      return reply.status(202).send({ status: 'pending', purge_after: result.purgeAfter.toISOString(), owner_notified: result.ownerNotified });
    },
  });
  app.get('/api/v1/platform/retention', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Platform administrators: every data type\u2019s platform retention period, bounds and scope (set by configuration: PARAPET_RETENTION_DAYS)', response: { 200: PlatformPolicies, ...errorResponses(401, 403, 404) } },
    handler: async (request, reply) => {
      operator(request);
      const items = (await deps.retention.platformPolicies()).map((p) => ({ ...toPolicy(p), scope: p.scope }));
      return reply.header('cache-control', 'no-store').send({ items });
    },
  });
  app.delete('/api/v1/users/:userId/deletion', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Platform administrators: cancel an account\u2019s pending deletion', params: UserParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      operator(request);
      const { userId } = request.params;
      await deps.deletions.cancelUserDeletion(auditContext(request), userId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
