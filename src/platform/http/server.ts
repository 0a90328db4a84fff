import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import secureJson from 'secure-json-parse';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError, toProblem } from './errors.ts';
import type { HttpMetrics } from './metrics.ts';
import type { IpRateLimiter } from './rate-limit.ts';
import { applySecurityHeaders } from './security-headers.ts';
import { installValidation, toFieldProblems } from './validation.ts';
import './route-config.ts';

/** A route as registered, for tests and tooling that check every route declares what it must. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly hasSchema: boolean;
  readonly hasResponseSchema: boolean;
  /** The permission the route declared (see route-config.ts), if any. */
  readonly permission: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    parapetRoutes: readonly RegisteredRoute[];
  }
}

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly trustProxy: boolean | string;
  readonly tls: boolean;
  readonly limiter: IpRateLimiter;
  readonly authLimiter: IpRateLimiter;
  readonly metrics: HttpMetrics;
}

const FASTIFY_CODES: Readonly<Record<string, AppError['code']>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_NOT_FOUND: 'not_found',
};

/** PostgreSQL text cannot hold U+0000, so such input is refused before it reaches a query. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item));
  return false;
}

/** Maps anything thrown in a request to an AppError; unknown errors become `internal_error`. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    return new AppError('invalid_request', {
      errors: toFieldProblems(fastifyError.validationContext ?? 'body', fastifyError.validation as never),
    });
  }
  if (error instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new AppError('malformed_json');
  }
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) return new AppError(mapped);
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new AppError('invalid_request');
  return new AppError('internal_error', { cause: error });
}

/**
 * The HTTP platform every module registers into: request ids, security headers, per-IP rate
 * limits, JSON-only bodies with a size limit, schema validation without coercion, RFC 9457
 * errors and metrics. Domain routes are added by `app.ts`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  });
  installValidation(app);
  const inventory: RegisteredRoute[] = [];
  app.decorate('parapetRoutes', inventory);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') inventory.push({ method, url: route.url, hasSchema: route.schema !== undefined, hasResponseSchema: route.schema?.response !== undefined, permission: route.config?.permission });
    }
  });
  await app.register(fastifyCookie);
  // Only JSON bodies: Fastify's text/plain parser is removed so other types answer 415.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    let value: unknown;
    try {
      // secure-json-parse refuses __proto__ and constructor.prototype keys (prototype pollution).
      value = secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      done(new AppError('malformed_json', { cause: error }), undefined);
      return;
    }
    if (containsNul(value)) {
      done(new AppError('invalid_request', { detail: 'Strings must not contain NUL characters.' }), undefined);
      return;
    }
    done(null, value);
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    applySecurityHeaders(reply, options.tls || request.protocol === 'https');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    await options.limiter.consume(request.ip);
    if (request.routeOptions.config.rateLimit === 'auth') await options.authLimiter.consume(request.ip);
  });

  app.addHook('onResponse', async (request, reply) => {
    options.metrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error, request: FastifyRequest, reply) => {
    const appError = toAppError(error);
    if (appError.code === 'internal_error') {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.debug({ code: appError.code }, 'request refused');
    }
    for (const [name, value] of Object.entries(appError.headers ?? {})) reply.header(name, value);
    return reply.status(appError.status).type('application/problem+json').send(toProblem(appError, request.id));
  });

  app.setNotFoundHandler(async (request, reply) => {
    return reply.status(404).type('application/problem+json').send(toProblem(new AppError('not_found'), request.id));
  });

  return app;
}

export function problemResponse(request: FastifyRequest, error: AppError): ReturnType<typeof toProblem> {
  return toProblem(error, request.id);
}
