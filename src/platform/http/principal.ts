/**
 * Who makes a request and how audit events name them: plain data shared by the modules that
 * authenticate requests and those that record them. No framework types, so the SDK can use them.
 */

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

/** Whose access an API key borrows: the member or service account that made it (through any keys in between). */
export interface KeyOwner {
  readonly type: 'user' | 'service_account';
  readonly id: string;
}

/**
 * An API key (AUTH-7). Belongs to one organization; may be bound to a project or environment; holds
 * an explicit permission set (a role's, or a subset), never more than its creator held, and acts only with what its owner still holds. Permission
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
  /** The key acts with the intersection of `permissions` and what this owner holds now. */
  readonly owner: KeyOwner;
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
