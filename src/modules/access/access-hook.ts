import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditSource } from '../audit/index.ts';
import type { AccessControl, AuthorizedUse } from './access-control.ts';
import { isPermission } from './permissions.ts';
import type { Principal } from './principal.ts';
import type { AuditActor } from '../audit/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once a route's permission check passed: which binding and grant allowed it. */
    authorized: AuthorizedUse | undefined;
  }
}

/** The caller of a request as access control sees it: principal, audit actor and source. */
export function callerOf(request: FastifyRequest, actorOf: (principal: Principal) => AuditActor, sourceOf: (request: FastifyRequest) => AuditSource) {
  const principal = request.principal;
  if (principal === undefined) throw new AppError('unauthenticated');
  // `userId` names a user only: keys and service accounts act as themselves in `actor`.
  return { principal, actor: actorOf(principal), userId: principal.kind === 'user' ? principal.userId : '', source: sourceOf(request) };
}

/** Route permissions that are not catalogue entries. */
const SPECIAL = new Set(['self', 'public']);

/**
 * Authorization for every route (AC-1): at registration, each /api/v1 route must declare a
 * permission (the app fails to start otherwise); per request, after the path is validated, the
 * principal must hold that permission at the organization, project or environment the path names.
 * Routes whose path names no organization (e.g. batch checks) authorize each item themselves.
 */
export function registerAuthorization(
  app: FastifyInstance,
  deps: { access: AccessControl; actorOf: (principal: Principal) => AuditActor; sourceOf: (request: FastifyRequest) => AuditSource },
): void {
  app.decorateRequest('authorized', undefined);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') && route.url !== '/api/v1') return;
    const permission = route.config?.permission;
    if (permission === undefined) throw new Error(`${String(route.method)} ${route.url} declares no permission`);
    if (!SPECIAL.has(permission) && !isPermission(permission)) throw new Error(`${String(route.method)} ${route.url} declares unknown permission ${permission}`);
    if (!SPECIAL.has(permission) && !route.url.includes(':orgId') && route.config?.authorizeInHandler !== true) {
      throw new Error(`${String(route.method)} ${route.url} names no organization to check ${permission} in; declare authorizeInHandler and check in the handler`);
    }
  });
  app.addHook('preHandler', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined || permission === 'public') return;
    const principal = request.principal;
    if (principal === undefined) throw new AppError('unauthenticated');
    if (permission === 'self') {
      if (principal.kind !== 'user') throw new AppError('forbidden', { detail: 'Only a signed-in user can do this.' });
      return;
    }
    if (!isPermission(permission)) throw new AppError('forbidden');
    const params = request.params as { orgId?: string; projectId?: string; environmentId?: string } | undefined;
    const orgId = params?.orgId;
    if (orgId === undefined) {
      if (request.routeOptions.config.authorizeInHandler === true) return;
      throw new AppError('forbidden');
    }
    const resource = { tenantId: orgId.toLowerCase(), projectId: params?.projectId?.toLowerCase(), environmentId: params?.environmentId?.toLowerCase() };
    try {
      request.authorized = await deps.access.authorize(callerOf(request, deps.actorOf, deps.sourceOf), permission, resource);
    } catch (error) {
      request.log.trace({ permission, resource, outcome: 'denied', code: (error as { code?: unknown }).code }, 'authorization decision');
      throw error;
    }
    request.log.trace({ permission, resource, outcome: 'allowed' }, 'authorization decision');
  });
}
