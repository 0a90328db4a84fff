import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import secureJson from 'secure-json-parse';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { answerUnsupportedExpectation, createClientErrorHandler } from './edge-errors.ts';
import { AppError, toProblem } from './errors.ts';
import { containsNul, jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-body.ts';
import type { HttpMetrics } from './metrics.ts';
import type { IpRateLimiter } from './rate-limit.ts';
import { applySecurityHeaders, hstsValue, securityHeaders } from './security-headers.ts';
import { buildValidator, installValidation, toFieldProblems } from './validation.ts';
import './route-config.ts';

/** A route as registered, for tests and tooling that check every route declares what it must. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly hasSchema: boolean;
  readonly hasResponseSchema: boolean;
  /** The permission the route declared (see route-config.ts), if any. */
  readonly permission: string | undefined;
  /** `public` for a route outside /api/v1 that needs no authentication (see route-config.ts). */
  readonly auth: 'public' | 'session' | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    parapetRoutes: readonly RegisteredRoute[];
  }
  interface FastifyRequest {
    /** The body bytes exactly as received (JSON bodies only), for request signatures (AUTH-8). */
    rawBody: Buffer | undefined;
  }
}

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly bodyLimit: number;
  readonly trustProxy: boolean | string;
  readonly tls: boolean;
  /** Certificate, key and hardening (tls.ts): the server speaks HTTPS itself. */
  readonly https?: SecureContextOptions & TlsOptions;
  readonly hstsIncludeSubdomains?: boolean;
  readonly limiter: IpRateLimiter;
  readonly authLimiter: IpRateLimiter;
  readonly metrics: HttpMetrics;
  /** A request whose headers have not all arrived this long after it began is answered 408 and closed (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** A request not fully received (headers and body) this long after it began is answered 408 and closed (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** How often Node checks those two timeouts (default 1 s). */
  readonly timeoutCheckIntervalMs?: number;
}

const FASTIFY_CODES: Readonly<Record<string, AppError['code']>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_NOT_FOUND: 'not_found',
};

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

/** A problem answer sent where no hook has run (security headers and request id set here). */
function sendEdgeProblem(reply: FastifyReply, error: AppError, requestId: string, headers: Readonly<Record<string, string>>): void {
  void reply.headers(headers).header('x-request-id', requestId).header('cache-control', 'no-store').status(error.status).type('application/problem+json').send(toProblem(error, requestId));
}

/**
 * The HTTP platform every module registers into: request ids, security headers, per-IP rate
 * limits, JSON-only bodies with a size limit, schema validation without coercion, RFC 9457
 * errors and metrics. Domain routes are added by `app.ts`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = options.logger;
  const hsts = hstsValue(options.hstsIncludeSubdomains === true);
  const edgeHeaders = securityHeaders(options.tls || options.https !== undefined, hsts);
  // Slowloris: a client that dribbles its headers or body holds a connection only this long.
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const serverOptions = {
    headersTimeout: Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout),
    requestTimeout,
    connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1_000,
    // A request without Host is refused in onRequest below, as problem+json (Node's own 400 has no body).
    requireHostHeader: false,
  };
  let closing = false;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Requests that arrive while closing get a 503 problem from onRequest below.
    return503OnClosing: false,
    requestTimeout,
    http: serverOptions,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // Every context, encapsulated ones that add schemas included, validates with Parapet's Ajv (validation.ts).
    // (typed for @fastify/ajv-compiler, but Fastify only calls it for a route-schema compiler)
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    ...(options.https === undefined ? {} : { https: { ...options.https, ...serverOptions } }),
    // Errors before routing (a malformed path, a path parameter over maxParamLength): problem+json, no echo.
    frameworkErrors: (error, request, reply) => {
      const appError = toAppError(error);
      request.log.debug({ code: appError.code }, 'request refused before routing');
      sendEdgeProblem(reply, appError, request.id, edgeHeaders);
    },
    // Requests Node cannot parse, or that do not arrive in time: problem+json written on the socket.
    clientErrorHandler: createClientErrorHandler({ logger, headers: edgeHeaders }),
  });
  app.server.on('checkExpectation', answerUnsupportedExpectation(edgeHeaders));
  app.addHook('preClose', async () => {
    closing = true;
  });
  installValidation(app);
  const inventory: RegisteredRoute[] = [];
  app.decorate('parapetRoutes', inventory);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') inventory.push({ method, url: route.url, hasSchema: route.schema !== undefined, hasResponseSchema: route.schema?.response !== undefined, permission: route.config?.permission, auth: route.config?.auth });
    }
  });
  await app.register(fastifyCookie);
  // Only JSON bodies: Fastify's text/plain parser is removed so other types answer 415.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.decorateRequest('rawBody', undefined);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    // Kept as received: a signed request's digest covers these bytes, not a re-serialization.
    request.rawBody = body;
    if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) {
      done(new AppError('json_too_deep'), undefined);
      return;
    }
    let value: unknown;
    try {
      // secure-json-parse refuses __proto__ and constructor.prototype keys (prototype pollution).
      value = secureJson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
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
    applySecurityHeaders(reply, options.tls || request.protocol === 'https', hsts);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    if (closing) {
      reply.header('connection', 'close');
      throw new AppError('service_unavailable');
    }
    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
    // request message that lacks a Host header field".
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) throw new AppError('invalid_request');
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
