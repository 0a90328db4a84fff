import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, NoContent, Page, PageQuery, Strict, Timestamp, Uuid, Nullable } from '../../platform/http/schemas.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import type { DestinationService } from './destination-service.ts';
import type { DestinationWithCursor } from './destination-store.ts';

const Format = Type.Union([Type.Literal('json'), Type.Literal('ocsf')], { description: 'json: the canonical event; ocsf: its OCSF 1.1 mapping' });
const Start = Type.Union([Type.Literal('now'), Type.Literal('beginning')], { description: 'now (default): events from here on; beginning: every retained event' });
const CaPem = Type.String({ minLength: 1, maxLength: 65536, description: 'PEM of the CA(s) that issued the receiver certificate; default: the system store' });
// Host and URL are checked after authorization (host name or IP literal; https URL; address policy).
const Host = Type.String({ minLength: 1, maxLength: 253, description: 'Host name or IP address of the RFC 5425 (syslog over TLS) receiver' });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https:// endpoint receiving Standard Webhooks POSTs' });
const Port = Type.Integer({ minimum: 1, maximum: 65535, description: 'Default 6514 (RFC 5425)' });

const common = { name: Name, format: Type.Optional(Format), enabled: Type.Optional(Type.Boolean()), start: Type.Optional(Start), ca_pem: Type.Optional(CaPem) };
const CreateBody = Type.Union([
  Strict({ kind: Type.Literal('syslog'), host: Host, port: Type.Optional(Port), ...common }),
  Strict({ kind: Type.Literal('webhook'), url: Url, ...common }),
]);
const PatchBody = Type.Object(
  { name: Type.Optional(Name), format: Type.Optional(Format), enabled: Type.Optional(Type.Boolean()), host: Type.Optional(Host), port: Type.Optional(Port), url: Type.Optional(Url), ca_pem: Type.Optional(Type.Union([CaPem, Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
);

const destinationProperties = {
  id: Uuid,
  organization_id: Uuid,
  kind: Type.Union([Type.Literal('syslog'), Type.Literal('webhook')]),
  name: Type.String(),
  format: Format,
  enabled: Type.Boolean(),
  host: Nullable(Type.String()),
  port: Nullable(Type.Integer()),
  url: Nullable(Type.String()),
  ca_pem: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
  delivery: Strict({
    next_seq: Type.Integer({ description: 'The first event seq not yet acknowledged' }),
    last_checkpoint_size: Type.Integer(),
    attempts: Type.Integer({ description: 'Consecutive failed attempts' }),
    next_attempt_at: Timestamp,
    last_error: Nullable(Type.String()),
    last_delivered_at: Nullable(Timestamp),
  }),
};
const Destination = Strict(destinationProperties);
const CreatedDestination = Strict({ ...destinationProperties, secret: Nullable(Type.String({ description: 'The webhook signing secret (whsec_…). Shown only in this response.' })) });

const OrgParams = Strict({ orgId: Uuid });
const DestinationParams = Strict({ orgId: Uuid, destinationId: Uuid });

function toDestination(row: DestinationWithCursor) {
  const c = row.cursor;
  return {
    id: row.id,
    organization_id: row.tenant_id,
    kind: row.kind,
    name: row.name,
    format: row.format,
    enabled: row.enabled,
    host: row.host,
    port: row.port,
    url: row.url,
    ca_pem: row.ca_pem,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    delivery: {
      next_seq: Number(c.next_seq),
      last_checkpoint_size: Number(c.last_checkpoint_size),
      attempts: c.attempts,
      next_attempt_at: c.next_attempt_at.toISOString(),
      last_error: c.last_error,
      last_delivered_at: c.last_delivered_at?.toISOString() ?? null,
    },
  };
}

/**
 * Routes of the organization's SIEM destinations (AUD-5) under
 * `/api/v1/organizations/{orgId}/audit/destinations`. `authorize` decides who may manage them.
 */
export function registerAuditStreaming(server: FastifyInstance, deps: { service: DestinationService}): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['audit'];
  const base = '/api/v1/organizations/:orgId/audit/destinations';
  const one = `${base}/:destinationId`;
  const { service } = deps;

  app.post(base, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: 'Add a destination the audit log streams to (syslog over TLS or a Standard Webhooks endpoint)', params: OrgParams, body: CreateBody, response: { 201: CreatedDestination, ...errorResponses(400, 401, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const body = request.body;
      const ctx = auditContext(request);
      const { destination, secret } = await service.create(ctx, orgId, {
        kind: body.kind,
        name: body.name,
        format: body.format ?? 'json',
        enabled: body.enabled ?? true,
        start: body.start ?? 'now',
        ...(body.kind === 'syslog' ? { host: body.host, ...(body.port === undefined ? {} : { port: body.port }) } : { url: body.url }),
        ...(body.ca_pem === undefined ? {} : { caPem: body.ca_pem }),
      });
      return reply.status(201).send({ ...toDestination(destination), secret });
    },
  });

  app.get(base, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: "List the organization's audit destinations and their delivery state", params: OrgParams, querystring: PageQuery, response: { 200: Page(Destination), ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      return toPage(await service.list(orgId, { after: decodeCursor(query.cursor), limit: query.limit }), query.limit, toDestination);
    },
  });

  app.get(one, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: 'Read an audit destination and its delivery state', params: DestinationParams, response: { 200: Destination, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId, destinationId } = request.params;
      return toDestination(await service.get(orgId, destinationId));
    },
  });

  app.patch(one, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: 'Rename, enable or disable an audit destination, or change its format or target', params: DestinationParams, body: PatchBody, response: { 200: Destination, ...errorResponses(400, 401, 404, 409) } },
    handler: async (request) => {
      const { orgId, destinationId } = request.params;
      const body = request.body;
      const ctx = auditContext(request);
      const { ca_pem: caPem, ...rest } = body;
      return toDestination(await service.update(ctx, orgId, destinationId, { ...rest, ...(caPem === undefined ? {} : { caPem }) }));
    },
  });

  app.delete(one, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: 'Delete an audit destination (events already sent stay with the receiver)', params: DestinationParams, response: { 204: NoContent, ...errorResponses(400, 401, 404) } },
    handler: async (request, reply) => {
      const { orgId, destinationId } = request.params;
      const ctx = auditContext(request);
      await service.remove(ctx, orgId, destinationId);
      return reply.status(204).send();
    },
  });

  app.post(`${one}/test`, {
    config: { permission: 'audit.manage' },
    schema: { tags, summary: 'Send a test message to an audit destination now', params: DestinationParams, response: { 200: Strict({ delivered: Type.Boolean(), error: Nullable(Type.String()) }), ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId, destinationId } = request.params;
      return service.test(orgId, destinationId);
    },
  });
}
