import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { auditActor, auditContext, requestSource, requirePrincipal, requireUser, type Principal } from '../../platform/http/request-context.ts';
import type { SessionService } from './session-service.ts';

export { auditActor, auditContext, requestSource, requirePrincipal, requireUser };

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

/** What a trace line says about a principal: its kind and identifier, nothing secret. */
function principalLogFields(principal: Principal | undefined): { kind: string; id: string | null } {
  const actor = auditActor(principal);
  return { kind: principal?.kind ?? 'anonymous', id: actor.id };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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
    if (UNSAFE.has(request.method) && request.routeOptions.config.crossSitePost !== true) {
      const origin = request.headers.origin;
      const site = request.headers['sec-fetch-site'];
      // A same-origin form post from a page served with `Referrer-Policy: no-referrer` (every page
      // here) carries `Origin: null` (Fetch: the origin is serialized as null under no-referrer);
      // Fetch Metadata then says same-origin. An opaque origin anywhere else (a sandboxed frame, a
      // data: URL, another site) is `cross-site`, and without Fetch Metadata `null` is refused.
      const sameOriginNull = origin === 'null' && site === 'same-origin';
      if (origin !== undefined && !sameOriginNull && !allowed.has(origin)) throw new AppError('origin_mismatch');
      if (origin === undefined && site === 'cross-site') throw new AppError('origin_mismatch');
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
    // Identifiers only, never the credential.
    request.log.trace({ principal: principalLogFields(request.principal), via: request.viaSessionCookie ? 'session cookie' : request.principal === undefined ? 'none' : 'authorization header', required: mode }, 'authentication decision');
    if (mode === 'session' && request.principal === undefined) throw new AppError('unauthenticated');
  });
}
