import { timingSafeEqual, createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';
import type { HttpMetrics } from './metrics.ts';
import { errorResponses, Strict } from './schemas.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Liveness, readiness (checks the database) and Prometheus metrics. */
export function registerOpsRoutes(app: FastifyInstance, deps: { ready: () => Promise<void>; degraded?: () => readonly string[]; metrics: HttpMetrics; metricsToken: string | undefined }): void {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: Strict({ status: Type.Literal('ok') }) } },
    config: { auth: 'public' },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: the database answers',
      description: 'Ready while the database answers. `degraded` lists optional dependencies that do not answer but have a fallback (e.g. `redis`: sign-in still works, on PostgreSQL counters and per-node limits).',
      response: { 200: Strict({ status: Type.Literal('ready'), degraded: Type.Optional(Type.Array(Type.String())) }), ...errorResponses(503) },
    },
    config: { auth: 'public' },
    handler: async (request) => {
      try {
        await deps.ready();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        throw new AppError('service_unavailable');
      }
      const degraded = deps.degraded?.() ?? [];
      return degraded.length === 0 ? { status: 'ready' as const } : { status: 'ready' as const, degraded: [...degraded] };
    },
  });

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (loopback clients, or a bearer PARAPET_METRICS_TOKEN)', hide: false },
    config: { auth: 'public' },
    handler: async (request: FastifyRequest, reply) => {
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') === true ? header.slice(7) : undefined;
      const allowed = deps.metricsToken !== undefined ? token !== undefined && sameSecret(token, deps.metricsToken) : LOOPBACK.has(request.socket.remoteAddress ?? '');
      if (!allowed) throw new AppError('forbidden');
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    },
  });
}
