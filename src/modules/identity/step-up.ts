import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Principal } from '../access/index.ts';
import { requirePrincipal } from '../../platform/http/request-context.ts';

/** How recent a sign-in sensitive actions need (PARAPET_STEP_UP_MINUTES). */
export interface StepUpPolicy {
  readonly clock: Clock;
  readonly maxAgeMinutes: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    stepUpPolicy: StepUpPolicy | undefined;
  }
}

/** Makes `requireRecentAuthentication` usable in every route of `app`. */
export function registerStepUp(app: FastifyInstance, policy: StepUpPolicy): void {
  app.decorate('stepUpPolicy', Object.freeze({ ...policy }));
}

/**
 * Step-up for sensitive actions (OWASP ASVS 5.0 V6/V7: changing authentication factors, policy,
 * API keys): a signed-in user must have authenticated — signed in, or re-authenticated through
 * `POST /api/v1/auth/reauthenticate` — within the configured minutes (default 10), else
 * `403 reauthentication_required`. 403, not 401: the session stays valid; only this action needs
 * a fresher proof (so a console does not treat it as signed out). API keys and service accounts
 * authenticate on every request and have nothing to refresh: they pass, and the route's permission
 * decides. Returns the principal.
 */
export function requireRecentAuthentication(request: FastifyRequest): Principal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'user') return principal;
  const policy = request.server.stepUpPolicy;
  if (policy === undefined) throw new Error('registerStepUp was not called');
  const ageMs = policy.clock.now().getTime() - principal.authenticatedAt.getTime();
  if (ageMs > policy.maxAgeMinutes * 60_000) {
    throw new AppError('reauthentication_required', { detail: `Sign-in older than ${policy.maxAgeMinutes} minutes: POST /api/v1/auth/reauthenticate with your password (and second factor), then retry.` });
  }
  return principal;
}
