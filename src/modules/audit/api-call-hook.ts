import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { auditActor } from '../../platform/http/request-context.ts';
import type { ApiCallBuffer } from './api-call-buffer.ts';
import { apiCallSampler } from './api-call-sampler.ts';
import { PLATFORM_TENANT_ID, type AuditEventInput } from './audit-event.ts';

/** Methods that change nothing (RFC 9110 §9.2.1): their records may be buffered. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The record of one call, in the organization's log when the route names one and the call succeeded, else the platform's. */
function apiCallRecord(request: FastifyRequest, reply: FastifyReply, route: string, clock: Clock): { tenantId: string; input: AuditEventInput } {
  const orgId = (request.params as { orgId?: unknown } | undefined)?.orgId;
  const tenantId = typeof orgId === 'string' && reply.statusCode < 400 ? orgId.toLowerCase() : PLATFORM_TENANT_ID;
  const grantId = request.authorized?.grantId;
  return {
    tenantId,
    input: {
      action: 'api.request',
      actor: auditActor(request.principal),
      outcome: reply.statusCode < 400 ? 'success' : reply.statusCode === 401 || reply.statusCode === 403 ? 'denied' : 'failure',
      source: { ip: request.ip, user_agent: request.headers['user-agent'] ?? null, request_id: request.id },
      metadata: { method: request.method, route, status: reply.statusCode, latency_ms: Math.round(reply.elapsedTime * 10) / 10, ...(grantId === undefined ? {} : { grant_id: grantId }) },
      occurredAt: clock.now(),
    },
  };
}

/**
 * AUD-1: every API call becomes an `api.request` event (method, route template, status, latency).
 *
 * Durability rule (issue 15 part 5): a state-changing call (any method but GET, HEAD, OPTIONS) that
 * succeeded is answered only once its record is committed — it is written before the response is
 * sent, grouped with other such calls in flight, and if it cannot be written the caller gets 503
 * instead of an acknowledgement. Every state-changing call is recorded whatever the sampling rate.
 * Other calls (reads, and calls that failed, which changed nothing) are buffered and written within
 * about 100 ms, off the request; `PARAPET_AUDIT_API_SAMPLING` applies to them.
 */
export function recordApiCalls(http: FastifyInstance, deps: { buffer: ApiCallBuffer; clock: Clock; sampling: number; random: Random }): void {
  if (deps.sampling <= 0) return;
  const sampled = apiCallSampler(deps.sampling, deps.random);
  const durable = new WeakSet<FastifyRequest>();
  const written = new WeakSet<FastifyRequest>();
  http.addHook('onSend', async (request, reply, payload) => {
    if (SAFE_METHODS.has(request.method) || reply.statusCode >= 400 || durable.has(request)) return payload;
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/v1/') !== true) return payload;
    durable.add(request);
    const { tenantId, input } = apiCallRecord(request, reply, route, deps.clock);
    try {
      await deps.buffer.addDurable(tenantId, input);
      written.add(request);
    } catch (error) {
      // The 503 answer is then recorded like any failed call (buffered, and counted if lost).
      throw new AppError('service_unavailable', { detail: 'The audit record of this call could not be written, so it is not acknowledged; the change may have been applied. Retry after checking its state.', cause: error });
    }
    return payload;
  });
  http.addHook('onResponse', async (request, reply) => {
    if (written.has(request)) return;
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/v1/') !== true) return;
    if (!sampled()) return;
    const { tenantId, input } = apiCallRecord(request, reply, route, deps.clock);
    deps.buffer.add(tenantId, input);
  });
}
