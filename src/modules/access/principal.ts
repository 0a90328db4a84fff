import type { Permission } from './permissions.ts';

/** Where in an organization something is: the organization itself, a project, or an environment. */
export interface Resource {
  readonly tenantId: string;
  readonly projectId?: string | undefined;
  readonly environmentId?: string | undefined;
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

/** Whose access an API key borrows: the member or service account that made it (through any keys in between). */
export interface KeyOwner {
  readonly type: 'user' | 'service_account';
  readonly id: string;
}

/**
 * An API key (AUTH-7). Belongs to one organization; may be bound to a project or environment; holds
 * an explicit permission set (a role's, or a subset), never more than its creator held, and acts
 * only with what its owner still holds (issue 14 part 3).
 */
export interface ApiKeyPrincipal {
  readonly kind: 'api_key';
  readonly keyId: string;
  readonly tenantId: string;
  readonly displayName: string;
  readonly permissions: ReadonlySet<Permission>;
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
  readonly scope: ReadonlySet<Permission> | undefined;
}

export type Principal = UserPrincipal | ApiKeyPrincipal | ServiceAccountPrincipal;

/** The id the audit log and the bindings know a principal by. */
export function principalId(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.userId;
    case 'api_key':
      return principal.keyId;
    case 'service_account':
      return principal.serviceAccountId;
  }
}

/** What a request brings that conditions can test (AC-3). */
export interface RequestFacts {
  readonly ip: string;
  /** True when this session or token was authenticated with a second factor or a passkey. */
  readonly mfa: boolean;
  readonly now: Date;
}

const MFA_METHODS = new Set(['otp', 'mfa', 'hwk', 'swk', 'fido', 'sc']);

/** Whether a principal's authentication included a second factor (RFC 8176 amr values). */
export function hasMfa(principal: Principal): boolean {
  return principal.kind === 'user' && principal.authMethods.some((method) => MFA_METHODS.has(method));
}
