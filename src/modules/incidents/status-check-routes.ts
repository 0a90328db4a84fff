import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, NoContent, Nullable, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { CHECK_KINDS, type StatusChecksTable } from './incidents-tables.ts';
import type { StatusChecks } from './status-checks.ts';

const CheckView = Strict({
  id: Uuid, component_id: Uuid, kind: Type.String(), name: Type.String(), url: Nullable(Type.String()), interval_seconds: Type.Integer(), failures_before_outage: Type.Integer(), enabled: Type.Boolean(),
  next_check_at: Timestamp, last_checked_at: Nullable(Timestamp), last_ok: Nullable(Type.Boolean()), last_error: Nullable(Type.String()), last_latency_ms: Nullable(Type.Integer()), consecutive_failures: Type.Integer(),
});
const toCheck = (c: StatusChecksTable) => ({
  id: c.id, component_id: c.component_id, kind: c.kind, name: c.name, url: c.url, interval_seconds: c.interval_seconds, failures_before_outage: c.failures_before_outage, enabled: c.enabled,
  next_check_at: c.next_check_at.toISOString(), last_checked_at: c.last_checked_at?.toISOString() ?? null, last_ok: c.last_ok, last_error: c.last_error, last_latency_ms: c.last_latency_ms, consecutive_failures: c.consecutive_failures,
});

function requirePlatformAdmin(request: FastifyRequest): void {
  if (!requireUser(request).isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
}

/** Status checks (IR-4): built-in probes of Parapet's parts and HTTP checks; platform administrators only. */
export function registerStatusCheckRoutes(server: FastifyInstance, deps: { checks: StatusChecks }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { checks } = deps;
  const tags = ['incidents'];
  const admin = { permission: 'self' } as const;

  app.get('/api/v1/platform/status/checks', {
    config: admin,
    schema: { tags, summary: 'Status checks with their last result', response: { 200: Strict({ items: Type.Array(CheckView) }), ...errorResponses(401, 403) } },
    handler: async (request) => {
      requirePlatformAdmin(request);
      return { items: (await checks.list()).map(toCheck) };
    },
  });

  app.post('/api/v1/platform/status/checks', {
    config: admin,
    schema: {
      tags, summary: 'Add a check to a component: a built-in probe (api, database, redis, mail, key_provider) or an https URL checked through the address guard',
      body: Strict({
        component_id: Uuid, kind: Type.Union(CHECK_KINDS.map((k) => Type.Literal(k))), name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }), url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
        interval_seconds: Type.Optional(Type.Integer({ minimum: 30, maximum: 3600 })), failures_before_outage: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
      }),
      response: { 201: CheckView, ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      const b = request.body;
      const row = await checks.add(auditContext(request), { componentId: b.component_id.toLowerCase(), kind: b.kind, name: b.name, url: b.url, intervalSeconds: b.interval_seconds, failuresBeforeOutage: b.failures_before_outage });
      return reply.status(201).send(toCheck(row));
    },
  });

  app.patch('/api/v1/platform/status/checks/:checkId', {
    config: admin,
    schema: { tags, summary: 'Turn a check on or off', params: Strict({ checkId: Uuid }), body: Strict({ enabled: Type.Boolean() }), response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await checks.setEnabled(auditContext(request), request.params.checkId.toLowerCase(), request.body.enabled);
      return reply.status(204).send();
    },
  });

  app.delete('/api/v1/platform/status/checks/:checkId', {
    config: admin,
    schema: { tags, summary: 'Remove a check', params: Strict({ checkId: Uuid }), response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      requirePlatformAdmin(request);
      await checks.remove(auditContext(request), request.params.checkId.toLowerCase());
      return reply.status(204).send();
    },
  });
}
