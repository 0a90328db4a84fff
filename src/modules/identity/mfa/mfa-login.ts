import type { RowIntegrity } from '../row-integrity.ts';
import type { AppTransactor, Tx } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../../platform/crypto/random.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, type AuditActor, type AuditRecorder, type AuditSource } from '../../audit/index.ts';
import { findUserById, type UserRow } from '../identity-store.ts';
import type { LoginThrottle } from '../login-throttle.ts';
import type { SessionService } from '../session-service.ts';
import type { FactorProof, FactorRegistry, SecondFactor, VerifiedFactor } from './factor-registry.ts';
import { mfaEnrolmentRequired, type MfaEnrolmentRequirement } from './mfa-requirements.ts';
import { consumePendingLogin, failPendingLogin, findLivePendingLogin, insertPendingLogin, type PendingLoginRow } from './mfa-store.ts';

/** How long a password-verified sign-in waits for its second factor. */
export const PENDING_LOGIN_TTL_MS = 5 * 60_000;
/** Wrong second factors one pending sign-in survives; then the password must be entered again. */
export const PENDING_LOGIN_MAX_FAILURES = 5;

/** RFC 8176 `amr` of a session authenticated by password and `factor`. */
export function sessionAmr(factor: VerifiedFactor | undefined): string[] {
  return factor === undefined ? ['pwd'] : [...new Set(['pwd', ...factor.amr, 'mfa'])];
}

export interface MfaLogin {
  /** Whether the user must present a second factor after the password. */
  requiresMfa(userId: string): Promise<boolean>;
  /** The second-factor methods the user can use now, read in `tx`. */
  methodsFor(userId: string, tx: Tx): Promise<string[]>;
  /** Whether `methods` (from `methodsFor`) include a second factor, so a password alone is not enough. */
  needsSecondFactor(methods: readonly string[]): boolean;
  /** After a correct password, in the login's transaction: a pending sign-in (its secret) and the usable methods. */
  begin(tx: Tx, user: UserRow, source: AuditSource, methods: readonly string[]): Promise<{ token: string; methods: string[] }>;
  /** For challenge–response factors (WebAuthn): what the client needs to answer. */
  challenge(token: string | undefined, method: string): Promise<Record<string, unknown>>;
  /**
   * Completes the sign-in with a second factor: a NEW session (the pending one is consumed), and
   * the organizations that still want a method the user lacks (their policy allows another one).
   */
  complete(input: { token: string | undefined; method: string; proof: FactorProof; source: AuditSource }): Promise<{ token: string; sessionId: string; user: UserRow; mfaEnrolment: readonly MfaEnrolmentRequirement[] }>;
  /**
   * Checks a second factor for an already signed-in user (step-up), with the same per-account
   * throttle as sign-in. Throws `invalid_mfa_code` or `too_many_attempts`.
   */
  verifyForUser(input: { user: UserRow; attemptId: string; method: string; proof: FactorProof; source: AuditSource }): Promise<VerifiedFactor>;
  /** Challenge for step-up with a challenge–response factor. */
  challengeForUser(userId: string, attemptId: string, method: string): Promise<Record<string, unknown>>;
}

/**
 * The MFA step of sign-in (AUTH-2, ASVS V6.4/V7.2): a correct password for an account with a
 * second factor yields only a pending sign-in — its own 5-minute secret, stored hashed, accepted
 * by the MFA endpoints and nowhere else. The second factor is throttled per account through the
 * login throttle's `mfa` namespace (progressive delay, then a lock). Success consumes the pending
 * sign-in and opens a new session with a new id (no fixation).
 */
export function createMfaLogin(deps: { transactor: AppTransactor; clock: Clock; random: Random; registry: FactorRegistry; sessions: SessionService; throttle: LoginThrottle; audit: Pick<AuditRecorder, 'recordForUser'>; integrity: Pick<RowIntegrity, 'storedDigest' | 'rowMac' | 'rowValid'> }): MfaLogin {
  const { transactor, clock, random, registry, sessions, throttle, audit } = deps;

  const actorOf = (user: UserRow): AuditActor => ({ type: user.is_platform_admin ? 'operator' : 'user', id: user.id, display_name: user.display_name });

  async function recordFailure(user: UserRow, source: AuditSource, method: string, reason: string, failures?: number): Promise<void> {
    // The platform log and each of the user's organizations' logs (issue 14 part 5).
    await transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
      audit.recordForUser(tx, user.id, [{
        action: 'session.mfa_failed',
        actor: actorOf(user),
        outcome: 'failure',
        source,
        targets: [{ type: 'user', id: user.id }],
        metadata: { method: method.slice(0, 32), reason, ...(failures === undefined ? {} : { consecutive_failures: failures }) },
      }]),
    );
  }

  /** The factor for `method` if the user can use it now; undefined otherwise (answered like a wrong code). */
  async function usableFactor(userId: string, method: string): Promise<SecondFactor | undefined> {
    const factor = registry.get(method);
    return (await registry.methodsFor(userId)).includes(method) ? factor : undefined;
  }

  /** Throttle admission (which counts the attempt), verification, clearing on success: shared by sign-in and step-up. */
  async function verify(user: UserRow, attemptId: string, method: string, proof: FactorProof, source: AuditSource, onFailure?: () => Promise<void>): Promise<VerifiedFactor> {
    // Issue 14: the attempt is admitted and counted before the code is checked, in one atomic
    // step, so parallel guesses are admitted one by one against the count.
    let failures: number;
    try {
      failures = await throttle.reserve(user.id);
    } catch (error) {
      if (error instanceof AppError && error.code === 'too_many_attempts') await recordFailure(user, source, method, 'throttled');
      throw error;
    }
    const factor = await usableFactor(user.id, method);
    const verified = factor === undefined ? undefined : await factor.verify({ userId: user.id, attemptId, proof });
    if (verified === undefined) {
      await onFailure?.();
      await recordFailure(user, source, method, 'invalid_code', failures);
      throw new AppError('invalid_mfa_code');
    }
    await throttle.succeed(user.id);
    return verified;
  }

  async function livePending(token: string | undefined): Promise<{ pending: PendingLoginRow; user: UserRow }> {
    if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw new AppError('mfa_pending_invalid');
    const found = await transactor.withPlatform(async (tx) => {
      const pending = await findLivePendingLogin(tx, deps.integrity, deps.integrity.storedDigest('mfa-pending-login', digestToken(token)), clock.now());
      const user = pending === undefined ? undefined : await findUserById(tx, pending.user_id);
      return pending === undefined || user === undefined ? undefined : { pending, user };
    });
    if (found === undefined || found.user.disabled_at !== null) throw new AppError('mfa_pending_invalid');
    return found;
  }

  return {
    requiresMfa: (userId) => registry.requiresMfa(userId),
    methodsFor: (userId, tx) => registry.methodsFor(userId, tx),
    needsSecondFactor: (methods) => registry.anyPrimary(methods),
    begin: async (tx, user, source, methods) => {
      const now = clock.now();
      const token = newSecretToken(random);
      await insertPendingLogin(tx, deps.integrity, {
        id: uuidv7(clock, random),
        token_hash: deps.integrity.storedDigest('mfa-pending-login', digestToken(token)),
        user_id: user.id,
        created_at: now,
        expires_at: new Date(now.getTime() + PENDING_LOGIN_TTL_MS),
        failed_attempts: 0,
        consumed_at: null,
        ip: source.ip ?? null,
        user_agent: source.user_agent?.slice(0, 512) ?? null,
      });
      return { token, methods: [...methods] };
    },
    challenge: async (token, method) => {
      const { pending, user } = await livePending(token);
      const factor = await usableFactor(user.id, method);
      if (factor?.begin === undefined) throw new AppError('invalid_request', { detail: 'This method needs no challenge.' });
      return factor.begin({ userId: user.id, attemptId: pending.id });
    },
    complete: async ({ token, method, proof, source }) => {
      const { pending, user } = await livePending(token);
      const verified = await verify(user, pending.id, method, proof, source, async () => {
        await transactor.withPlatform((tx) => failPendingLogin(tx, pending.id, PENDING_LOGIN_MAX_FAILURES, clock.now()));
      });
      return transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        // The pending sign-in is spent once: of two concurrent completions only one gets a session.
        if (!(await consumePendingLogin(tx, pending.id, clock.now()))) throw new AppError('mfa_pending_invalid');
        const amr = sessionAmr(verified);
        // ASVS 7.2.4: a new session id at authentication; nothing from before the MFA step survives.
        const { token: sessionToken, sessionId } = await sessions.create(tx, user, { ip: source.ip ?? '', userAgent: source.user_agent ?? undefined, authMethods: amr });
        const mfaEnrolment = await mfaEnrolmentRequired(tx, await registry.methodsFor(user.id, tx));
        await audit.recordForUser(tx, user.id, [{
          action: 'session.created',
          actor: actorOf(user),
          outcome: 'success',
          source,
          targets: [{ type: 'session', id: sessionId }],
          metadata: { amr: amr.join(' '), method: method.slice(0, 32) },
          ...(mfaEnrolment.length === 0 ? {} : { platformMetadata: { mfa_enrolment_required: mfaEnrolment.length } }),
        }]);
        return { token: sessionToken, sessionId, user, mfaEnrolment };
      }, user.id);
    },
    verifyForUser: ({ user, attemptId, method, proof, source }) => verify(user, attemptId, method, proof, source),
    challengeForUser: async (userId, attemptId, method) => {
      const factor = await usableFactor(userId, method);
      if (factor?.begin === undefined) throw new AppError('invalid_request', { detail: 'This method needs no challenge.' });
      return factor.begin({ userId, attemptId });
    },
  };
}
