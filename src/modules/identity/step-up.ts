import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';

/** Sensitive actions need a sign-in at most this old (ASVS 5.0 V7.5: re-authentication). */
export const STEP_UP_WINDOW_MS = 10 * 60_000;

/**
 * Step-up for sensitive actions (changing MFA, the security policy, API keys): a user whose
 * session last proved who they are more than 10 minutes ago must re-authenticate first. Keys and
 * service accounts carry no session and pass (their own permissions govern them).
 */
export function recentAuthentication(clock: Clock): (request: FastifyRequest) => void {
  return (request) => {
    const principal = request.principal;
    if (principal?.kind !== 'user') return;
    if (clock.now().getTime() - principal.authenticatedAt.getTime() > STEP_UP_WINDOW_MS) {
      throw new AppError('reauthentication_required', { detail: 'This action needs a sign-in within the last 10 minutes: re-authenticate, then retry.' });
    }
  };
}
