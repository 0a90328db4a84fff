import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../../database.ts';
import type { AuditActor } from '../../audit/index.ts';
import { type SessionCookie } from '../authenticate.ts';
import { requestSource, requireUser } from '../../../platform/http/request-context.ts';
import type { SessionService } from '../session-service.ts';
import type { FactorRegistry } from './factor-registry.ts';
import { sessionAmr } from './mfa-login.ts';
import { mfaEnrolmentRequired } from './mfa-requirements.ts';

/** Read before a new factor is confirmed: whether its confirmation may upgrade the session. */
export interface UpgradeCheck {
  /** The user had no second factor, and an organization of theirs requires one. */
  readonly eligible: boolean;
}

export interface FirstFactorUpgrade {
  /** Ask before confirming a new factor (afterwards the user has it, and the answer would change). */
  check(userId: string): Promise<UpgradeCheck>;
  /**
   * After the user's FIRST second factor was confirmed from a password-only console session, when
   * an organization of theirs requires MFA: replaces that session with a new one (new id) whose
   * `amr` names the factor, and sets its cookie. Returns whether it did. Otherwise (bearer tokens,
   * a session that already has `mfa`, a user who had a factor, no organization asking for one)
   * nothing changes; the next sign-in asks for the factor.
   */
  afterConfirm(request: FastifyRequest, reply: FastifyReply, input: { check: UpgradeCheck; factorAmr: readonly string[] }): Promise<boolean>;
}

/**
 * Forced MFA enrolment (issue 3, part 7) without a second sign-in: a member whose organization
 * requires MFA signs in with a password (the organization refuses that session, `mfa_required`),
 * enrols a factor within the step-up window, and proves it with a first code; that proof upgrades
 * the session. Only then: for anyone else the password-only session is already good everywhere
 * they go, and replacing it would only sign other tabs out. Enrolment itself already needs a sign-in within the step-up window, so a stolen
 * old session cannot do this. The session id changes (ASVS 7.2.4: new token on authentication).
 */
export function createFirstFactorUpgrade(deps: { transactor: AppTransactor; sessions: SessionService; registry: FactorRegistry; cookie: SessionCookie }): FirstFactorUpgrade {
  const { transactor, sessions, registry, cookie } = deps;
  return {
    check: (userId) =>
      transactor.withActor(userId, async (tx) => {
        const methods = await registry.methodsFor(userId, tx);
        return { eligible: !registry.anyPrimary(methods) && (await mfaEnrolmentRequired(tx, methods)).length > 0 };
      }),
    afterConfirm: async (request, reply, { check, factorAmr }) => {
      const principal = requireUser(request);
      if (!check.eligible || !request.viaSessionCookie || principal.authMethods.includes('mfa')) return false;
      const source = requestSource(request);
      const actor: AuditActor = { type: principal.isPlatformAdmin ? 'operator' : 'user', id: principal.userId, display_name: principal.displayName };
      const amr = sessionAmr({ amr: factorAmr.filter((value) => value !== 'user' && value !== 'mfa') });
      const created = await sessions.replace({ userId: principal.userId, replaces: principal.sessionId, authMethods: amr, action: 'session.upgraded', reason: 'mfa_enrolled', by: { actor, source } });
      reply.setCookie(cookie.name, created.token, { path: '/', httpOnly: true, secure: cookie.secure, sameSite: 'lax' });
      return true;
    },
  };
}
