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

/** A signed-in person (console session or user access token). */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly userId: string;
  readonly sessionId: string;
  readonly email: string;
  readonly displayName: string;
  readonly isPlatformAdmin: boolean;
  /** RFC 8176 authentication method references, e.g. `["pwd", "otp"]`. */
  readonly authMethods: readonly string[];
  readonly authenticatedAt: Date;
}

/**
 * An API key (AUTH-7). Belongs to one organization; may be bound to a project or environment; holds
 * an explicit permission set (a role's, or a subset), never more than its creator held. Permission
 * names come from the access module's catalogue.
 */
export interface ApiKeyPrincipal {
  readonly kind: 'api_key';
  readonly keyId: string;
  readonly tenantId: string;
  readonly displayName: string;
  readonly permissions: ReadonlySet<string>;
  /** The key's binding: undefined ids mean the whole organization (or whole project). */
  readonly projectId: string | undefined;
  readonly environmentId: string | undefined;
}

/** A service account acting through an OAuth 2.0 client-credentials access token. Its role bindings decide. */
export interface ServiceAccountPrincipal {
  readonly kind: 'service_account';
  readonly serviceAccountId: string;
  readonly tenantId: string;
  readonly displayName: string;
  readonly clientId: string;
  /** The token's own permission ceiling (its `scope`), intersected with the account's bindings; undefined: none beyond the bindings. */
  readonly scope: ReadonlySet<string> | undefined;
}

export type Principal = UserPrincipal | ApiKeyPrincipal | ServiceAccountPrincipal;

export type ActorType = 'user' | 'api_key' | 'service_account' | 'operator' | 'system' | 'anonymous';

/** Who acted, as an audit event records it. */
export interface AuditActor {
  readonly type: ActorType;
  readonly id: string | null;
  /** The actor's display name at the time, so the record stays meaningful after renames. */
  readonly display_name: string | null;
}

/** Where a request came from, as the HTTP layer saw it. */
export interface AuditSource {
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly request_id: string | null;
}

/** Who is acting and from where: what services need to attribute the events they record. */
export interface AuditContext {
  readonly userId: string;
  readonly actor: AuditActor;
  readonly source: AuditSource;
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
