import type { OrgSecurityPolicy } from '../access/index.ts';
import type { ApplicationRow } from './applications-service.ts';

/** An application's token lifetimes in seconds, as the provider issues them. */
export interface TokenLifetimes {
  readonly accessToken: number;
  readonly idToken: number;
  readonly refreshToken: number;
}

/**
 * The application's registered lifetimes, capped by its organization's session policy: an access
 * or ID token lives no longer than the organization lets a session sit idle, and no token — a
 * refresh token included — outlives the organization's absolute session lifetime. The policy is
 * read at every client lookup, so a tightened policy applies to the next token issued; lifetimes
 * the organization left at the platform default are the application's alone.
 */
export function policyBoundedLifetimes(app: Pick<ApplicationRow, 'access_token_ttl_seconds' | 'id_token_ttl_seconds' | 'refresh_token_ttl_seconds'>, policy: Pick<OrgSecurityPolicy, 'sessionIdleMinutes' | 'sessionAbsoluteHours'> | undefined): TokenLifetimes {
  const idle = policy?.sessionIdleMinutes == null ? Number.POSITIVE_INFINITY : policy.sessionIdleMinutes * 60;
  const absolute = policy?.sessionAbsoluteHours == null ? Number.POSITIVE_INFINITY : policy.sessionAbsoluteHours * 3600;
  return {
    accessToken: Math.min(app.access_token_ttl_seconds, idle, absolute),
    idToken: Math.min(app.id_token_ttl_seconds, idle, absolute),
    refreshToken: Math.min(app.refresh_token_ttl_seconds, absolute),
  };
}
