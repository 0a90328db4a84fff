/**
 * Who is making a request and from where: the principal an authenticator resolved, and how it
 * appears in audit events. Shared by every module that serves requests; the types are plain data,
 * so the modules that produce them (identity, API keys, tokens) and those that record them (audit)
 * meet here instead of importing each other.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** True when the principal came from the console session cookie (not an API key or bearer token). */
    viaSessionCookie: boolean;
  }
}

export type { ActorType, ApiKeyPrincipal, KeyOwner, AuditActor, AuditContext, AuditSource, Principal, ServiceAccountPrincipal, UserPrincipal } from './principal.ts';
import type { AuditActor, AuditContext, AuditSource, Principal, UserPrincipal } from './principal.ts';

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

/** The authenticated principal as an audit actor, with the request's source; throws `unauthenticated` without one. */
export function auditContext(request: FastifyRequest): AuditContext {
  const principal = requirePrincipal(request);
  // `userId` names a user (it becomes created_by and the transaction's actor); keys and service
  // accounts act as themselves in `actor` only.
  return { userId: principal.kind === 'user' ? principal.userId : '', actor: auditActor(principal), source: requestSource(request) };
}
