import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { Principal, UserPrincipal } from '../access/index.ts';
import type { AuditActor, AuditContext, AuditSource } from '../audit/index.ts';
import type { SessionService } from './session-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** True when the principal came from the console session cookie (not an API key or bearer token). */
    viaSessionCookie: boolean;
  }
}

export interface SessionCookie {
  readonly name: string;
  readonly secure: boolean;
}

/**
 * A way to authenticate a request other than the console cookie: API keys, bearer access tokens.
 * Returns undefined when the request carries no credential of its kind; throws `unauthenticated`
 * when it carries one that is not valid (a bad credential never falls back to anonymous).
 */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | undefined>;

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

/** How a principal appears as the actor of an audit event. */
export function auditActor(principal: Principal | undefined): AuditActor {
  if (principal === undefined) return { type: 'anonymous', id: null, display_name: null };
  switch (principal.kind) {
    case 'user':
      return { type: principal.isPlatformAdmin ? 'operator' : 'user', id: principal.userId, display_name: principal.displayName };
    case 'api_key':
      return { type: 'api_key', id: principal.keyId, display_name: principal.displayName };
    case 'service_account':
      return { type: 'service_account', id: principal.serviceAccountId, display_name: principal.displayName };
  }
}

/** The authenticated principal as an audit actor, with the request's source; throws `unauthenticated` without one. */
export function auditContext(request: FastifyRequest): AuditContext {
  const principal = requirePrincipal(request);
  // `userId` names a user (it becomes created_by and the transaction's actor); keys and service
  // accounts act as themselves in `actor` only.
  return { userId: principal.kind === 'user' ? principal.userId : '', actor: auditActor(principal), source: requestSource(request) };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The principal of an authenticated request; throws `unauthenticated` if there is none. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AppError('unauthenticated');
  return request.principal;
}

/** The signed-in user of a request; other principals (keys, service accounts) get `forbidden`. */
export function requireUser(request: FastifyRequest): UserPrincipal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'user') throw new AppError('forbidden', { detail: 'Only a signed-in user can do this.' });
  return principal;
}

/**
 * Resolves the request's credential into `request.principal` and enforces authentication on routes
 * that need it (every /api/v1 route unless its permission is `public`). The other authenticators
 * (API keys, bearer tokens) are tried first; the console cookie last. Unsafe methods from a browser
 * must come from an allowed origin (OWASP CSRF cheat sheet: verify Origin; Fetch Metadata).
 */
export function registerAuthentication(
  app: FastifyInstance,
  deps: { sessions: SessionService; cookie: SessionCookie; allowedOrigins: readonly string[]; authenticators?: readonly Authenticator[] },
): void {
  const allowed = new Set(deps.allowedOrigins);
  const authenticators = deps.authenticators ?? [];
  app.decorateRequest('principal', undefined);
  app.decorateRequest('viaSessionCookie', false);
  app.addHook('onRequest', async (request) => {
    if (UNSAFE.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== undefined && !allowed.has(origin)) throw new AppError('origin_mismatch');
      if (origin === undefined && request.headers['sec-fetch-site'] === 'cross-site') throw new AppError('origin_mismatch');
    }
    for (const authenticate of authenticators) {
      request.principal = await authenticate(request);
      if (request.principal !== undefined) break;
    }
    // An Authorization header on the API that no authenticator accepted (a malformed bearer, an
    // unknown scheme) is a presented, invalid credential: the request fails, whatever else it
    // carries, and never falls back to the session cookie or to anonymous.
    if (request.principal === undefined && request.headers.authorization !== undefined && request.url.startsWith('/api/')) {
      throw new AppError('unauthenticated');
    }
    if (request.principal === undefined) {
      const token = request.cookies[deps.cookie.name];
      if (token !== undefined) request.principal = await deps.sessions.resolve(token);
      request.viaSessionCookie = request.principal !== undefined;
    }
    const config = request.routeOptions.config;
    const mode = config.auth ?? (config.permission === 'public' || !request.url.startsWith('/api/v1/') ? 'public' : 'session');
    if (mode === 'session' && request.principal === undefined) throw new AppError('unauthenticated');
  });
}
