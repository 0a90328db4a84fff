import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { AuditActor, AuditSource } from '../audit/index.ts';
import type { Principal } from '../access/index.ts';
import { requireRecentAuthentication } from '../identity/index.ts';
import { callerOf } from './access-requests-routes.ts';
import type { ApprovalRow } from './access-requests-store.ts';
import type { RiskyWrites } from './risky-writes.ts';

const Mode = Type.Union([Type.Literal('disabled'), Type.Literal('approval')], { description: 'disabled: risky writes answer 403 risky_write_disabled; approval: they wait for a second administrator' });
const Setting = Strict({ mode: Mode, operations: Type.Array(Type.String()), updated_at: Nullable(Timestamp), updated_by: Nullable(Uuid) });
const SettingBody = Strict({ mode: Mode });
const ApprovalStatus = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]);
const Approval = Strict({
  id: Uuid,
  organization_id: Uuid,
  operation: Type.String(),
  params: Type.Record(Type.String(), Type.String()),
  requested_by: Uuid,
  status: ApprovalStatus,
  decided_by: Nullable(Uuid),
  decided_at: Nullable(Timestamp),
  created_at: Timestamp,
  confirmable_alone_after: {
    ...Nullable(Timestamp),
    description: 'When nobody but the requester could approve this pending operation: from when the requester may confirm it alone (POST …/confirm); null while another administrator could approve it, or once decided',
  },
  confirmable_alone: Type.Boolean({ description: 'Whether the requester may confirm it alone now, by the server\u2019s clock (confirmable_alone_after has passed)' }),
});
const OrgParams = Strict({ orgId: Uuid });
const ApprovalParams = Strict({ orgId: Uuid, approvalId: Uuid });
const ListQuery = Type.Object({ ...PageQuery.properties, status: Type.Optional(ApprovalStatus) }, { additionalProperties: false });

function toApproval(row: ApprovalRow, confirmableAloneAfter: Date | null, now: Date) {
  return {
    id: row.id,
    organization_id: row.tenant_id,
    operation: row.operation,
    params: row.params,
    requested_by: row.requested_by,
    status: row.status,
    decided_by: row.decided_by,
    decided_at: row.decided_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    confirmable_alone_after: confirmableAloneAfter?.toISOString() ?? null,
    confirmable_alone: confirmableAloneAfter !== null && confirmableAloneAfter.getTime() <= now.getTime(),
  };
}

/** The risky-writes setting and the approvals queue (AC-7). */
export function registerRiskyWriteRoutes(
  server: FastifyInstance,
  deps: { riskyWrites: RiskyWrites; actorOf: (principal: Principal) => AuditActor; sourceOf: (request: FastifyRequest) => AuditSource; now: () => Date },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { riskyWrites } = deps;
  const tags = ['risky writes'];
  const org = '/api/v1/organizations/:orgId';
  const caller = (request: FastifyRequest) => callerOf(request, deps);
  const answer = async (row: ApprovalRow) => toApproval(row, await riskyWrites.selfConfirmableAfter(row), deps.now());
  const setting = (row: { mode: 'disabled' | 'approval'; updated_at: Date | null; updated_by: string | null }) => ({ mode: row.mode, operations: riskyWrites.kinds(), updated_at: row.updated_at?.toISOString() ?? null, updated_by: row.updated_by });

  app.get(`${org}/settings/risky-writes`, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'Whether risky writes (deleting the organization, a project or an environment, …) are disabled (the default) or pass an approval', params: OrgParams, response: { 200: Setting, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      return setting(await riskyWrites.mode(orgId.toLowerCase()));
    },
  });
  app.put(`${org}/settings/risky-writes`, {
    config: { permission: 'settings.manage' },
    schema: { tags, summary: 'Disable risky writes, or allow them behind a second administrator\u2019s approval (audited)', params: OrgParams, body: SettingBody, response: { 200: Setting, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const { mode } = request.body;
      return setting(await riskyWrites.setMode(caller(request), orgId.toLowerCase(), mode));
    },
  });

  app.get(`${org}/approvals`, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'Risky writes waiting for (or decided by) a second administrator', params: OrgParams, querystring: ListQuery, response: { 200: Page(Approval), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      const rows = await riskyWrites.list(orgId.toLowerCase(), { status: query.status, after: decodeCursor(query.cursor), limit: query.limit });
      const after = new Map(await Promise.all(rows.map(async (row) => [row.id, await riskyWrites.selfConfirmableAfter(row)] as const)));
      const now = deps.now();
      return toPage(rows, query.limit, (row) => toApproval(row, after.get(row.id) ?? null, now));
    },
  });
  app.get(`${org}/approvals/:approvalId`, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'Read a risky-write approval', params: ApprovalParams, response: { 200: Approval, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const { orgId, approvalId } = request.params;
      return answer(await riskyWrites.get(orgId.toLowerCase(), approvalId.toLowerCase()));
    },
  });
  app.post(`${org}/approvals/:approvalId/approve`, {
    config: { permission: 'access.approve' },
    schema: {
      tags,
      summary: 'Approve a pending risky write, which runs at once (not by its requester; you also need the operation\u2019s own permission)',
      params: ApprovalParams,
      response: { 200: Approval, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      const { orgId, approvalId } = request.params;
      return answer(await riskyWrites.approve(caller(request), orgId.toLowerCase(), approvalId.toLowerCase()));
    },
  });
  app.post(`${org}/approvals/:approvalId/reject`, {
    config: { permission: 'access.approve' },
    schema: { tags, summary: 'Reject (or, as its requester, withdraw) a pending risky write', params: ApprovalParams, response: { 200: Approval, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => {
      const { orgId, approvalId } = request.params;
      return answer(await riskyWrites.reject(caller(request), orgId.toLowerCase(), approvalId.toLowerCase()));
    },
  });
  app.post(`${org}/approvals/:approvalId/confirm`, {
    config: { permission: 'organization.read' },
    schema: {
      tags,
      summary:
        'As its requester, confirm a pending risky write alone, which runs at once: only when no other member could approve it, once its cooling-off period (PARAPET_RISKY_WRITE_COOLING_OFF_MINUTES) has passed, with a recent sign-in (audited as risky_write.self_confirmed)',
      params: ApprovalParams,
      response: { 200: Approval, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      requireRecentAuthentication(request);
      const { orgId, approvalId } = request.params;
      return answer(await riskyWrites.confirmAlone(caller(request), orgId.toLowerCase(), approvalId.toLowerCase()));
    },
  });
}
