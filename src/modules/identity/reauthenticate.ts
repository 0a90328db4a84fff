import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { UserPrincipal } from '../access/index.ts';
import { PLATFORM_TENANT_ID, type AuditActor, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { findUserById } from './identity-store.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { FactorProof, VerifiedFactor } from './mfa/factor-registry.ts';
import { sessionAmr, type MfaLogin } from './mfa/mfa-login.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { RowIntegrity } from './row-integrity.ts';
import { isOverlongPassword } from './password-policy.ts';
import type { SessionService } from './session-service.ts';

export interface Reauthentication {
  /**
   * Step-up: checks the user's password and, when they have a second factor, that too; then
   * replaces the session with a new one (new id, `authenticated_at` now). Throws
   * `invalid_credentials`, `invalid_mfa_code` or `too_many_attempts`.
   */
  reauthenticate(input: { principal: UserPrincipal; password: string; method: string | undefined; proof: FactorProof; source: AuditSource }): Promise<{ token: string; sessionId: string; authMethods: string[]; authenticatedAt: Date }>;
  /**
   * Step-up by a second factor only (the hosted sign-in, when an application asks for MFA over a
   * live session proven by password): checks one of the user's second factors with the sign-in's
   * per-account throttle, then opens a NEW session (new id) whose `amr` adds that factor. The
   * current session is left as it was — the applications signed in with it keep their grants.
   * Throws `invalid_mfa_code`, `too_many_attempts` or `unauthenticated`.
   */
  secondFactor(input: { principal: UserPrincipal; method: string; proof: FactorProof; source: AuditSource }): Promise<{ token: string; sessionId: string; authMethods: string[]; authenticatedAt: Date }>;
}

/**
 * Re-authentication for sensitive actions (ASVS 5.0 V6/V7 step-up). A new session id is issued
 * (ASVS 7.2.4: "generates a new session token on user authentication, including re-authentication,
 * and terminates the current session token"), so a session token captured before the step-up
 * cannot ride on the fresher authentication. Failures count toward the same per-account throttles
 * as sign-in (password: by email; second factor: the `mfa` namespace).
 */
export function createReauthentication(deps: { transactor: AppTransactor; clock: Clock; hasher: PasswordHasher; integrity: Pick<RowIntegrity, 'openPasswordHash'>; sessions: SessionService; throttle: LoginThrottle; mfa: MfaLogin; audit: Pick<AuditRecorder, 'recordForUser'> }): Reauthentication {
  const { transactor, clock, hasher, sessions, throttle, mfa, audit } = deps;
  return {
    reauthenticate: async ({ principal, password, method, proof, source }) => {
      const actor: AuditActor = { type: principal.isPlatformAdmin ? 'operator' : 'user', id: principal.userId, display_name: principal.displayName };
      const user = await transactor.withPlatform((tx) => findUserById(tx, principal.userId));
      if (user === undefined || user.disabled_at !== null) throw new AppError('unauthenticated');
      const refuse = async (reason: string, failures?: number): Promise<never> => {
        await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
          audit.recordForUser(tx, user.id, [{ action: 'session.login_failed', actor, outcome: 'failure', source, targets: [{ type: 'user', id: user.id }], metadata: { reason, step_up: true, ...(failures === undefined ? {} : { consecutive_failures: failures }) } }]),
        );
        throw new AppError('invalid_credentials');
      };
      // Over-long passwords are refused before any hashing work, as at sign-in.
      if (isOverlongPassword(password)) return refuse('password_too_long');
      // Issue 14: admitted and counted before the hash, atomically, so parallel step-ups cannot
      // all pass one pre-burst count.
      const failures = await throttle.reserve(user.email);
      // Issue 13: a hash that does not open for this user (not sealed to them) verifies nothing.
      if (!(await hasher.verify(deps.integrity.openPasswordHash(user) ?? hasher.dummyHash, password))) return refuse('invalid_credentials', failures);
      await throttle.succeed(user.email);
      let factor: VerifiedFactor | undefined;
      if (await mfa.requiresMfa(user.id)) {
        if (method === undefined) throw new AppError('invalid_mfa_code', { detail: 'This account has a second factor: send `method` and its proof too (GET /api/v1/auth/mfa lists them).' });
        factor = await mfa.verifyForUser({ user, attemptId: principal.sessionId, method, proof, source });
      }
      const amr = sessionAmr(factor);
      const created = await sessions.replace({
        userId: user.id,
        replaces: principal.sessionId,
        authMethods: amr,
        action: 'session.reauthenticated',
        reason: 'reauthenticated',
        by: { actor, source },
        ...(method === undefined ? {} : { metadata: { method: method.slice(0, 32) } }),
      });
      return { token: created.token, sessionId: created.sessionId, authMethods: amr, authenticatedAt: clock.now() };
    },
    secondFactor: async ({ principal, method, proof, source }) => {
      const actor: AuditActor = { type: principal.isPlatformAdmin ? 'operator' : 'user', id: principal.userId, display_name: principal.displayName };
      const user = await transactor.withPlatform((tx) => findUserById(tx, principal.userId));
      if (user === undefined || user.disabled_at !== null) throw new AppError('unauthenticated');
      // Only a factor the account holds verifies, counted against the account like any second factor.
      const factor = await mfa.verifyForUser({ user, attemptId: principal.sessionId, method, proof, source });
      const amr = sessionAmr(factor);
      const created = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const session = await sessions.create(tx, user, { ip: source.ip ?? '', userAgent: source.user_agent ?? undefined, authMethods: amr });
        await audit.recordForUser(tx, user.id, [{ action: 'session.reauthenticated', actor, outcome: 'success', source, targets: [{ type: 'session', id: session.sessionId }], metadata: { amr: amr.join(' '), from_session: principal.sessionId, method: method.slice(0, 32), second_factor_only: true } }]);
        return session;
      }, user.id);
      return { token: created.token, sessionId: created.sessionId, authMethods: amr, authenticatedAt: clock.now() };
    },
  };
}
