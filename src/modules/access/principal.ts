
/** Where in an organization something is: the organization itself, a project, or an environment. */
export interface Resource {
  readonly tenantId: string;
  readonly projectId?: string | undefined;
  readonly environmentId?: string | undefined;
}

export type { KeyOwner, UserPrincipal, ApiKeyPrincipal, ServiceAccountPrincipal, Principal } from '../../platform/http/principal.ts';
import type { Principal } from '../../platform/http/principal.ts';

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
