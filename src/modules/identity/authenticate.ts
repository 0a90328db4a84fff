import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditSource } from '../audit/index.ts';
import type { Principal, SessionService } from './session-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface SessionCookie {
  readonly name: string;
  readonly secure: boolean;
}

/**
 * `__Host-` cookies must be Secure, path `/`, no Domain (RFC 6265bis §4.1.3.2). On plain-http
 * loopback development the Secure flag cannot be set, so the unprefixed name is used there.
 */
export function sessionCookieFor(publicUrl: string): SessionCookie {
  const secure = new URL(publicUrl).protocol === 'https:';
  return { name: secure ? '__Host-parapet_session' : 'parapet_session', secure };
}

/** Where a request came from, for audit events. */
export function requestSource(request: FastifyRequest): AuditSource {
  return { ip: request.ip, user_agent: request.headers['user-agent'] ?? null, request_id: request.id };
}

/** The signed-in user as an audit actor, with the request's source; throws `unauthenticated` without one. */
export function auditContext(request: FastifyRequest): AuditContext {
  const principal = requirePrincipal(request);
  return {
    userId: principal.userId,
    actor: { type: principal.isPlatformAdmin ? 'operator' : 'user', id: principal.userId, display_name: principal.displayName },
    source: requestSource(request),
  };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The principal of an authenticated request; throws `unauthenticated` if there is none. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AppError('unauthenticated');
  return request.principal;
}

/**
 * Resolves the session cookie into `request.principal` and enforces authentication on routes
 * that need it (every /api/v1 route unless it declares `auth: 'public'`). Unsafe methods from a
 * browser must come from an allowed origin (OWASP CSRF cheat sheet: verify Origin; Fetch Metadata).
 */
export function registerAuthentication(app: FastifyInstance, deps: { sessions: SessionService; cookie: SessionCookie; allowedOrigins: readonly string[] }): void {
  const allowed = new Set(deps.allowedOrigins);
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    if (UNSAFE.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== undefined && !allowed.has(origin)) throw new AppError('origin_mismatch');
      if (origin === undefined && request.headers['sec-fetch-site'] === 'cross-site') throw new AppError('origin_mismatch');
    }
    const token = request.cookies[deps.cookie.name];
    if (token !== undefined) request.principal = await deps.sessions.resolve(token);
    const mode = request.routeOptions.config.auth ?? (request.url.startsWith('/api/v1/') ? 'session' : 'public');
    if (mode === 'session' && request.principal === undefined) throw new AppError('unauthenticated');
  });
}
