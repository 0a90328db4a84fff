import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { RoutePermission } from '../../platform/http/route-config.ts';
import { errorResponses, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { PLATFORM_TENANT_ID, type AuditContext } from './audit-event.ts';
import type { AuditService } from './audit-service.ts';
import { decodeEvent } from './audit-service.ts';
import { renderExport, type exportLines } from './export/export-stream.ts';
import type { ExportFormat } from './export/export-format.ts';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
export const AuditEventSchema = Type.Object(
  {
    v: Type.Integer(),
    id: Uuid,
    tenant_id: Uuid,
    seq: Type.Integer(),
    occurred_at: Timestamp,
    recorded_at: Timestamp,
    actor: Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]), display_name: Type.Union([Type.String(), Type.Null()]) }),
    action: Type.String(),
    targets: Type.Array(Type.Object({ type: Type.String(), id: Type.String(), name: Type.Optional(Type.String()) })),
    outcome: Type.String(),
    source: Type.Object({ ip: Type.Union([Type.String(), Type.Null()]), user_agent: Type.Union([Type.String(), Type.Null()]) }),
    request_id: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Record(Type.String(), Scalar),
  },
  { $id: 'AuditEvent' },
);

const OrgParams = Strict({ orgId: Uuid });
const EventParams = Strict({ orgId: Uuid, eventId: Uuid });
const ListQuery = Strict({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z_.]+$' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')])),
  ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9a-fA-F.:]+$' })),
});
const ExportQuery = Strict({ format: Type.Union([Type.Literal('jsonl'), Type.Literal('csv'), Type.Literal('ocsf')], { default: 'jsonl' }) });
const ProofQuery = Strict({ size: Type.Optional(Type.Integer({ minimum: 1 })) });
const ConsistencyQuery = Strict({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) });
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The export body: documented as text, sent as a stream (Fastify skips serialization for streams). */
const ExportBody = Type.Unsafe<string | Readable>(Type.String({ description: 'One record per line' }));

const PlatformParams = Strict({});
const PlatformEventParams = Strict({ eventId: Uuid });

/** One log's routes: where they live, which tenant's log they read, and who may. */
interface LogRoutes {
  readonly base: string;
  readonly params: typeof OrgParams | typeof PlatformParams;
  readonly eventParams: typeof EventParams | typeof PlatformEventParams;
  /** The log's tenant for this request; throws when the caller may not read it. First thing each handler does. */
  readonly tenantOf: (request: FastifyRequest) => string;
  readonly readPermission: RoutePermission;
  readonly exportPermission: RoutePermission;
}

/** The organization of an organization-log route (its `:orgId`, validated by the route's schema). */
function orgLogOf(request: FastifyRequest): string {
  const params: unknown = request.params;
  return typeof params === 'object' && params !== null && 'orgId' in params && typeof params.orgId === 'string' ? params.orgId : '';
}

/** Only a signed-in platform administrator reads the platform log (a session, not a key). */
function platformLogOf(request: FastifyRequest): string {
  const principal = requireUser(request);
  if (!principal.isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can read the platform audit log.' });
  return PLATFORM_TENANT_ID;
}

/** Per-organization retention bounds (AUD-3: 90 days to 7 years). */
export const MIN_RETENTION_DAYS = 90;
export const MAX_RETENTION_DAYS = 2557;

const CONTENT_TYPES: Record<ExportFormat, string> = { jsonl: 'application/jsonl', csv: 'text/csv; charset=utf-8', ocsf: 'application/jsonl' };

/**
 * Audit log routes (AUD-4). `authorize` decides whether the principal may read this
 * organization's audit log (members today; the Auditor role with access control).
 */
export function registerAuditRoutes(
  server: FastifyInstance,
  deps: {
    service: AuditService;
    exportLines: (tenantId: string) => ReturnType<typeof exportLines>;
    recordExport: (ctx: AuditContext, tenantId: string, format: ExportFormat) => Promise<void>;
    retention: { get(tenantId: string): Promise<number>; set(ctx: AuditContext, tenantId: string, days: number): Promise<void> };
  },
): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['audit'];
  const base = '/api/v1/organizations/:orgId/audit';
  app.addSchema(AuditEventSchema);
  const orgLog: LogRoutes = { base, params: OrgParams, eventParams: EventParams, tenantOf: orgLogOf, readPermission: 'audit.read', exportPermission: 'audit.export' };
  // The platform log (sign-in, setup, operators' events; tenant 00000000-…): platform
  // administrators only, on every route (issue 14 part 5).
  const platformLog: LogRoutes = {
    base: '/api/v1/platform/audit',
    params: PlatformParams,
    eventParams: PlatformEventParams,
    tenantOf: platformLogOf,
    readPermission: 'self',
    exportPermission: 'self',
  };
  for (const log of [orgLog, platformLog]) logRoutes(log);

  function logRoutes(log: LogRoutes): void {
    const readConfig = { permission: log.readPermission };
    const exportConfig = { permission: log.exportPermission };

    app.get(`${log.base}/events`, {
      config: readConfig,
      schema: {
        tags,
        summary: 'Search the audit log, newest first (filters: time range, actor, action prefix, target, outcome, IP)',
        params: log.params,
        querystring: ListQuery,
        response: { 200: Strict({ items: Type.Array(Type.Ref('AuditEvent')), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const orgId = log.tenantOf(request);
        const q = request.query;
        const filter = {
          ...(q.from === undefined ? {} : { from: new Date(q.from) }),
          ...(q.to === undefined ? {} : { to: new Date(q.to) }),
          ...(q.actor === undefined ? {} : { actorId: q.actor }),
          ...(q.action === undefined ? {} : { actionPrefix: q.action }),
          ...(q.target === undefined ? {} : { targetId: q.target }),
          ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
          ...(q.ip === undefined ? {} : { ip: q.ip }),
        };
        const rows = await deps.service.list(orgId, filter, q.cursor === undefined ? undefined : Number(q.cursor), q.limit);
        const page = rows.slice(0, q.limit);
        const last = page.at(-1);
        return { items: page.map(decodeEvent), next_cursor: rows.length > q.limit && last !== undefined ? String(last.seq) : null };
      },
    });

    app.get(`${log.base}/events/:eventId`, {
      config: readConfig,
      schema: { tags, summary: 'Read one audit event', params: log.eventParams, response: { 200: Type.Ref('AuditEvent'), ...errorResponses(400, 401, 403, 404) } },
      handler: async (request) => {
        const orgId = log.tenantOf(request);
        const { eventId } = request.params;
        return decodeEvent(await deps.service.get(orgId, eventId));
      },
    });

    app.get(`${log.base}/events/:eventId/proof`, {
      config: readConfig,
      schema: {
        tags,
        summary: 'RFC 9162 inclusion proof of an event in a signed checkpoint',
        params: log.eventParams,
        querystring: ProofQuery,
        response: {
          200: Strict({ seq: Type.Integer(), tree_size: Type.Integer(), leaf_hash: Type.String(), canonical: Type.String(), audit_path: Type.Array(Type.String()), checkpoint: Type.String(), verifier_key: Type.String() }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
      handler: async (request) => {
        const orgId = log.tenantOf(request);
        const { eventId } = request.params;
        const { size } = request.query;
        const proof = await deps.service.proveInclusion(orgId, eventId, size);
        return {
          seq: proof.event.seq,
          tree_size: proof.treeSize,
          leaf_hash: b64(proof.leafHash),
          canonical: Buffer.from(proof.canonical).toString('utf8'),
          audit_path: proof.auditPath.map(b64),
          checkpoint: proof.checkpoint,
          verifier_key: deps.service.verifierKey(),
        };
      },
    });

    app.get(`${log.base}/consistency`, {
      config: readConfig,
      schema: {
        tags,
        summary: 'RFC 9162 consistency proof between two signed checkpoints',
        params: log.params,
        querystring: ConsistencyQuery,
        response: { 200: Strict({ from: Type.String(), to: Type.String(), proof: Type.Array(Type.String()) }), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const orgId = log.tenantOf(request);
        const q = request.query;
        const result = await deps.service.proveConsistency(orgId, q.from, q.to);
        return { from: result.from, to: result.to, proof: result.proof.map(b64) };
      },
    });

    app.get(`${log.base}/checkpoints`, {
      config: readConfig,
      schema: {
        tags,
        summary: 'Signed checkpoints of the log (C2SP tlog-checkpoint notes) and the key that verifies them',
        params: log.params,
        response: { 200: Strict({ verifier_key: Type.String(), items: Type.Array(Strict({ size: Type.Integer(), kind: Type.String(), note: Type.String(), created_at: Timestamp })) }), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        const orgId = log.tenantOf(request);
        const rows = await deps.service.checkpoints(orgId);
        return { verifier_key: deps.service.verifierKey(), items: rows.map((r) => ({ size: Number(r.size), kind: r.kind, note: r.note, created_at: r.created_at.toISOString() })) };
      },
    });
    app.get(`${log.base}/export`, {
      config: exportConfig,
      schema: {
        tags,
        summary: 'Export the log (JSONL, CSV or OCSF), streamed, with the checkpoints and key needed to verify it',
        params: log.params,
        querystring: ExportQuery,
        response: { 200: ExportBody, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request, reply) => {
        const orgId = log.tenantOf(request);
        const { format } = request.query;
        const ctx = auditContext(request);
        await deps.recordExport(ctx, orgId, format);
        if (!['jsonl', 'csv', 'ocsf'].includes(format)) throw new AppError('invalid_request');
        const extension = format === 'csv' ? 'csv' : 'jsonl';
        reply.header('content-disposition', `attachment; filename="audit-${orgId}.${format === 'ocsf' ? 'ocsf.' : ''}${extension}"`);
        return reply.type(CONTENT_TYPES[format]).send(Readable.from(renderExport(deps.exportLines(orgId), format)));
      },
    });
  }

  const WitnessQuery = Strict({ old: Type.Integer({ minimum: 0, default: 0, description: 'The tree size the witness holds (0 the first time)' }) });
  app.get(`${base}/witness`, {
    config: { permission: 'audit.read' },
    schema: {
      tags,
      operationId: 'getAuditWitnessView',
      summary: 'For a witness: the newest signed checkpoint, a consistency proof to it from the size the witness holds, and every verifier key of the log',
      params: OrgParams,
      querystring: WitnessQuery,
      response: { 200: Strict({ checkpoint: Type.String(), size: Type.Integer(), old: Type.Integer(), proof: Type.Array(Type.String()), verifier_keys: Type.Array(Type.String()) }), ...errorResponses(400, 401, 404) },
    },
    handler: async (request) => {
      const { orgId } = request.params;
      const { old } = request.query;
      const answer = await deps.service.witness(orgId, old);
      return { checkpoint: answer.checkpoint, size: answer.size, old, proof: answer.proof.map(b64), verifier_keys: [...deps.service.verifierKeys()] };
    },
  });

  const Retention = Strict({ retention_days: Type.Integer({ minimum: MIN_RETENTION_DAYS, maximum: MAX_RETENTION_DAYS, description: '90 days to 7 years' }) });
  app.get(`${base}/retention`, {
    config: { permission: 'audit.read' },
    schema: { tags, summary: 'How long audit events are kept', params: OrgParams, response: { 200: Retention, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      return { retention_days: await deps.retention.get(orgId) };
    },
  });
  app.put(`${base}/retention`, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: 'Set how long audit events are kept (older ones are purged after a signed retention checkpoint)', params: OrgParams, body: Retention, response: { 200: Retention, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const { retention_days } = request.body;
      const ctx = auditContext(request);
      await deps.retention.set(ctx, orgId, retention_days);
      return { retention_days };
    },
  });
}
