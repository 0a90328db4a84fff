import { cidrMatcher, parseCidr } from '../../platform/net/cidr.ts';
import type { Principal, RequestFacts } from './principal.ts';

/** Second-factor kinds an organization may allow (AUTH-2 TOTP, AUTH-3 passkeys and security keys). */
export const MFA_METHODS = ['totp', 'webauthn'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

/**
 * RFC 8176 `amr` values that prove each method. `mfa` is what a caller of `authz/check` asserts
 * without naming the method; it satisfies any allowed method.
 */
const AMR_OF: Readonly<Record<MfaMethod, readonly string[]>> = { totp: ['otp'], webauthn: ['hwk', 'swk', 'fido'] };
const GENERIC_MFA = 'mfa';

/** Bounds an organization may choose its session timeouts within. */
export const POLICY_BOUNDS = Object.freeze({ idleMinutes: { min: 5, max: 1440 }, absoluteHours: { min: 1, max: 720 }, allowlistEntries: 100 });

/**
 * An organization's security policy (AUTH-9, issue 3 part 7). Applies to every request to the
 * organization's routes, whoever makes it: members, operators on a grant, API keys and service
 * accounts (the last two only through the address allowlist; they have no second factor or session).
 */
export interface OrgSecurityPolicy {
  readonly mfaRequired: boolean;
  /** Which second factors satisfy `mfaRequired`; a session proven only with another one is refused. */
  readonly allowedMfaMethods: readonly MfaMethod[];
  /** Null: the platform default. */
  readonly sessionIdleMinutes: number | null;
  readonly sessionAbsoluteHours: number | null;
  /** CIDR ranges, IPv4 or IPv6; empty means any address. */
  readonly ipAllowlist: readonly string[];
  /**
   * Accept the organization's own identity provider's multi-factor authentication (its `amr` or
   * `AuthnContextClassRef`, issue 18) for `mfaRequired`: a session opened by single sign-on through
   * one of THIS organization's connections, whose IdP asserted MFA, carries `idp_mfa:<organization id>`.
   * Absent: false (Parapet's own second factor is required).
   */
  readonly acceptIdpMfa?: boolean;
}

export const DEFAULT_POLICY: OrgSecurityPolicy = Object.freeze({ mfaRequired: false, allowedMfaMethods: MFA_METHODS, sessionIdleMinutes: null, sessionAbsoluteHours: null, ipAllowlist: [] });

/** Which policy requirement a request failed; each is a stable problem code. */
export type PolicyFailure = 'ip_not_allowed' | 'mfa_required' | 'mfa_method_not_allowed' | 'reauthentication_required';

export interface CompiledPolicy {
  readonly check: (principal: Principal, facts: RequestFacts) => PolicyFailure | undefined;
}

/** Problems with a policy as messages (never echoing more than the offending entry); empty when valid. */
export function policyProblems(policy: OrgSecurityPolicy): string[] {
  const problems: string[] = [];
  if (policy.allowedMfaMethods.length === 0) problems.push('allowed_mfa_methods: allow at least one method');
  for (const method of policy.allowedMfaMethods) if (!(MFA_METHODS as readonly string[]).includes(method)) problems.push(`allowed_mfa_methods: "${method}" is not one of ${MFA_METHODS.join(', ')}`);
  if (policy.ipAllowlist.length > POLICY_BOUNDS.allowlistEntries) problems.push(`ip_allowlist: at most ${POLICY_BOUNDS.allowlistEntries} ranges`);
  for (const range of policy.ipAllowlist) if (parseCidr(range, { bareAddress: true }) === undefined) problems.push(`ip_allowlist: "${range.slice(0, 64)}" is not a CIDR range`);
  const idle = policy.sessionIdleMinutes;
  if (idle !== null && (idle < POLICY_BOUNDS.idleMinutes.min || idle > POLICY_BOUNDS.idleMinutes.max)) problems.push(`session_idle_minutes: between ${POLICY_BOUNDS.idleMinutes.min} and ${POLICY_BOUNDS.idleMinutes.max}`);
  const absolute = policy.sessionAbsoluteHours;
  if (absolute !== null && (absolute < POLICY_BOUNDS.absoluteHours.min || absolute > POLICY_BOUNDS.absoluteHours.max)) {
    problems.push(`session_absolute_hours: between ${POLICY_BOUNDS.absoluteHours.min} and ${POLICY_BOUNDS.absoluteHours.max}`);
  }
  return problems;
}

/** The session method an SSO sign-in records when the organization's IdP asserted multi-factor authentication. */
export function idpMfaMethod(tenantId: string): string {
  return `idp_mfa:${tenantId.toLowerCase()}`;
}

/** The amr values that satisfy a policy's allowed methods. */
function acceptedAmr(methods: readonly MfaMethod[]): ReadonlySet<string> {
  return new Set([GENERIC_MFA, ...methods.flatMap((method) => AMR_OF[method])]);
}

const ALL_SECOND_FACTOR_AMR: ReadonlySet<string> = acceptedAmr(MFA_METHODS);

/**
 * Compiles a policy into one check; undefined when it asks for nothing (the common case costs
 * nothing). Order: network first (nothing else is looked at from a refused address), then the
 * session's age, then its second factor.
 */
export function compilePolicy(policy: OrgSecurityPolicy | undefined, tenantId?: string): CompiledPolicy | undefined {
  if (policy === undefined) return undefined;
  const ipAllowed = policy.ipAllowlist.length === 0 ? undefined : cidrMatcher(policy.ipAllowlist);
  const absoluteMs = policy.sessionAbsoluteHours === null ? undefined : policy.sessionAbsoluteHours * 3_600_000;
  const accepted = acceptedAmr(policy.allowedMfaMethods);
  // Only this organization's IdP vouches, and only while the organization says so.
  const idpMfa = policy.acceptIdpMfa === true && tenantId !== undefined ? idpMfaMethod(tenantId) : undefined;
  if (ipAllowed === undefined && absoluteMs === undefined && !policy.mfaRequired) return undefined;
  return {
    check: (principal, facts) => {
      if (ipAllowed !== undefined && !ipAllowed(facts.ip)) return 'ip_not_allowed';
      if (principal.kind !== 'user') return undefined;
      // The organization's absolute lifetime counts from the last time the person proved who they are.
      if (absoluteMs !== undefined && facts.now.getTime() - principal.authenticatedAt.getTime() >= absoluteMs) return 'reauthentication_required';
      if (!policy.mfaRequired) return undefined;
      if (idpMfa !== undefined && principal.authMethods.includes(idpMfa)) return undefined;
      // Allowed methods only narrow what "MFA required" accepts.
      const secondFactors = principal.authMethods.filter((method) => ALL_SECOND_FACTOR_AMR.has(method));
      if (secondFactors.some((method) => accepted.has(method))) return undefined;
      return secondFactors.length > 0 ? 'mfa_method_not_allowed' : 'mfa_required';
    },
  };
}
