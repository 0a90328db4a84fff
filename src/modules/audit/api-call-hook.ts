import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import { auditActor } from '../../platform/http/request-context.ts';
import type { ApiCallBuffer } from './api-call-buffer.ts';
import { apiCallSampler } from './api-call-sampler.ts';
import { PLATFORM_TENANT_ID } from './audit-event.ts';

/**
 * AUD-1: every API call becomes an `api.request` event (method, route template, status, latency),
 * in the organization's log when the route names one and the call succeeded, else the platform's.
 */
export function recordApiCalls(http: FastifyInstance, deps: { buffer: ApiCallBuffer; clock: Clock; sampling: number; random: Random }): void {
  if (deps.sampling <= 0) return;
  const sampled = apiCallSampler(deps.sampling, deps.random);
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/v1/') !== true) return;
    if (!sampled()) return;
    const orgId = (request.params as { orgId?: unknown } | undefined)?.orgId;
    const tenantId = typeof orgId === 'string' && reply.statusCode < 400 ? orgId.toLowerCase() : PLATFORM_TENANT_ID;
    const grantId = request.authorized?.grantId;
    deps.buffer.add(tenantId, {
      action: 'api.request',
      actor: auditActor(request.principal),
      outcome: reply.statusCode < 400 ? 'success' : reply.statusCode === 401 || reply.statusCode === 403 ? 'denied' : 'failure',
      source: { ip: request.ip, user_agent: request.headers['user-agent'] ?? null, request_id: request.id },
      metadata: { method: request.method, route, status: reply.statusCode, latency_ms: Math.round(reply.elapsedTime * 10) / 10, ...(grantId === undefined ? {} : { grant_id: grantId }) },
      occurredAt: deps.clock.now(),
    });
  });
}
