import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { Caller, Principal } from '../access/index.ts';
import { visibleStatus, type AccessRequestsService } from './access-requests-service.ts';
import type { AccessRequestRow } from './access-requests-store.ts';
import type { SecurityAlertRow, SecurityAlerts } from '../alerts/index.ts';

const RoleRef = Type.String({ minLength: 1, maxLength: 64, examples: ['security_analyst'], description: 'A built-in role key or a custom role id' });
const Reason = Type.String({ minLength: 10, maxLength: 500, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$', examples: ['Investigating support ticket 4821 with the customer'] });
const Scope = Type.Object({ project_id: Type.Optional(Uuid), environment_id: Type.Optional(Uuid) }, { additionalProperties: false });
const RequestStatus = Type.Union(['pending', 'approved', 'rejected', 'cancelled', 'revoked'].map((s) => Type.Literal(s)));

const RequestBody = Strict({
  role: RoleRef,
  scope: Type.Optional(Scope),
  reason: Reason,
  duration_minutes: Type.Integer({ minimum: 1, maximum: 10080, examples: [60], description: 'How long the grant lasts once approved (at most PARAPET_JIT_MAX_HOURS; 60 for break-glass)' }),
  break_glass: Type.Optional(Type.Boolean({ description: 'Platform operators only: grant at once, for at most 60 minutes, and alert the organization' })),
  principal_id: Type.Optional(Uuid),
  approved: Type.Optional(Type.Boolean({ description: 'With principal_id: an approver opens a grant for that platform operator directly' })),
});
const AccessRequest = Strict({
  id: Uuid,
  organization_id: Uuid,
  requester_id: Uuid,
  principal_id: Uuid,
  operator: Type.Boolean(),
  role: Type.String(),
  scope: Strict({ project_id: Nullable(Uuid), environment_id: Nullable(Uuid) }),
  reason: Type.String(),
  duration_minutes: Type.Integer(),
  break_glass: Type.Boolean(),
  status: Type.Union([RequestStatus, Type.Literal('expired')]),
  decided_by: Nullable(Uuid),
  decided_at: Nullable(Timestamp),
  binding_id: Nullable(Uuid),
  expires_at: Nullable(Timestamp),
  created_at: Timestamp,
});
const ListQuery = Type.Object({ ...PageQuery.properties, status: Type.Optional(RequestStatus) }, { additionalProperties: false });
const OrgParams = Strict({ orgId: Uuid });
const RequestParams = Strict({ orgId: Uuid, requestId: Uuid });

const Alert = Strict({
  id: Uuid,
  organization_id: Uuid,
  kind: Type.String(),
  severity: Type.String(),
  summary: Type.String(),
  actor_id: Nullable(Uuid),
  subject: Nullable(Strict({ type: Type.String(), id: Uuid })),
  created_at: Timestamp,
  acknowledged_at: Nullable(Timestamp),
  acknowledged_by: Nullable(Uuid),
  occurrences: Type.Integer({ description: "Signals of the alert's rule about its subject within its window (deduplication, IR-5)" }),
  last_seen_at: Nullable(Timestamp),
});
const AlertQuery = Type.Object({ ...PageQuery.properties, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged')])) }, { additionalProperties: false });
const AlertParams = Strict({ orgId: Uuid, alertId: Uuid });

const iso = (date: Date | null) => date?.toISOString() ?? null;

function toAlert(row: SecurityAlertRow) {
  return {
    id: row.id,
    organization_id: row.tenant_id,
    kind: row.kind,
    severity: row.severity,
    summary: row.summary,
    actor_id: row.actor_id,
    subject: row.subject_type === null || row.subject_id === null ? null : { type: row.subject_type, id: row.subject_id },
    created_at: row.created_at.toISOString(),
    acknowledged_at: iso(row.acknowledged_at),
    acknowledged_by: row.acknowledged_by,
    occurrences: row.occurrences,
    last_seen_at: iso(row.last_seen_at),
  };
}

export interface AccessRequestRouteDeps {
  readonly service: AccessRequestsService;
  readonly alerts: SecurityAlerts;
  readonly actorOf: (principal: Principal) => AuditActor;
  readonly sourceOf: (request: FastifyRequest) => AuditSource;
  readonly now: () => Date;
}

/** Who is calling, for services that authorize on the payload. */
export function callerOf(request: FastifyRequest, deps: Pick<AccessRequestRouteDeps, 'actorOf' | 'sourceOf'>): Caller {
  const principal = request.principal;
  if (principal === undefined) throw new AppError('unauthenticated');
  const actor = deps.actorOf(principal);
  return { principal, actor, userId: actor.id ?? '', source: deps.sourceOf(request) };
}

/** Just-in-time access requests, break-glass and security alerts (AC-4, AC-6). */
export function registerAccessRequestRoutes(server: FastifyInstance, deps: AccessRequestRouteDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { service, alerts } = deps;
  const tags = ['access requests'];
  const base = '/api/v1/organizations/:orgId/access-requests';
  const one = `${base}/:requestId`;
  const caller = (request: FastifyRequest) => callerOf(request, deps);
  const toRequest = (row: AccessRequestRow) => ({
    id: row.id,
    organization_id: row.tenant_id,
    requester_id: row.requester_id,
    principal_id: row.principal_id,
    operator: row.operator,
    role: row.role,
    scope: { project_id: row.project_id, environment_id: row.environment_id },
    reason: row.reason,
    duration_minutes: row.duration_minutes,
    break_glass: row.break_glass,
    status: visibleStatus(row, deps.now()),
    decided_by: row.decided_by,
    decided_at: iso(row.decided_at),
    binding_id: row.binding_id,
    expires_at: iso(row.expires_at),
    created_at: row.created_at.toISOString(),
  });

  app.post(base, {
    // `self`: the service authorizes, so that a platform operator who is not a member can ask.
    config: { permission: 'self' },
    schema: {
      tags,
      summary: 'Request just-in-time access to a role at a scope (members: access.request; platform operators: always; break_glass: operators only, granted at once for at most 60 min and alerted; principal_id + approved: an approver opens a support grant for an operator)',
      params: OrgParams,
      body: RequestBody,
      response: { 201: AccessRequest, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      const row = await service.create(caller(request), orgId.toLowerCase(), { ...body, scope: body.scope ?? {} });
      return reply.status(201).header('location', `/api/v1/organizations/${row.tenant_id}/access-requests/${row.id}`).send(toRequest(row));
    },
  });
  app.get(base, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Access requests: all of them for holders of access.approve, otherwise your own', params: OrgParams, querystring: ListQuery, response: { 200: Page(AccessRequest), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const rows = await service.list(caller(request), orgId.toLowerCase(), { status: query.status as AccessRequestRow['status'] | undefined, after: decodeCursor(query.cursor), limit: query.limit });
      return toPage(rows, query.limit, toRequest);
    },
  });
  app.get(one, {
    config: { permission: 'self' },
    schema: { tags, summary: 'Read an access request (yours, or any with access.approve)', params: RequestParams, response: { 200: AccessRequest, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, requestId } = request.params;
      return toRequest(await service.get(caller(request), orgId.toLowerCase(), requestId.toLowerCase()));
    },
  });
  const decision = (verb: 'approve' | 'reject' | 'cancel' | 'revoke', summary: string) =>
    app.post(`${one}/${verb}`, {
      config: { permission: verb === 'cancel' ? 'self' : 'access.approve' },
      schema: { tags, summary, params: RequestParams, response: { 200: AccessRequest, ...errorResponses(400, 401, 403, 404, 409) } },
      handler: async (request) => {
        const { orgId, requestId } = request.params;
        return toRequest(await service[verb](caller(request), orgId.toLowerCase(), requestId.toLowerCase()));
      },
    });
  decision('approve', 'Approve a pending request: creates a role binding that expires after the requested duration (never by the requester; you must hold every permission of the role at its scope)');
  decision('reject', 'Reject a pending request');
  decision('cancel', 'Withdraw your own pending request');
  decision('revoke', 'End an active grant before it expires (removes its binding)');

  const alertsBase = '/api/v1/organizations/:orgId/security-alerts';
  app.get(alertsBase, {
    config: { permission: 'alerts.read' },
    schema: { tags, summary: 'Security alerts of the organization (break-glass access by platform operators, …)', params: OrgParams, querystring: AlertQuery, response: { 200: Page(Alert), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const rows = await alerts.list(orgId.toLowerCase(), { open: query.status === undefined ? undefined : query.status === 'open', after: decodeCursor(query.cursor), limit: query.limit });
      return toPage(rows, query.limit, toAlert);
    },
  });
  app.post(`${alertsBase}/:alertId/acknowledge`, {
    config: { permission: 'alerts.manage' },
    schema: { tags, summary: 'Acknowledge a security alert', params: AlertParams, response: { 200: Alert, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, alertId } = request.params;
      return toAlert(await alerts.acknowledge(caller(request), orgId.toLowerCase(), alertId.toLowerCase()));
    },
  });
}
