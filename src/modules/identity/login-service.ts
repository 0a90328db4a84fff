import type { AppTransactor, Tx } from '../../database.ts';
import { PLATFORM_TENANT_ID, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { findUserByEmail, updatePasswordHash, type UserRow } from './identity-store.ts';
import { isOverlongPassword } from './password-policy.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { RowIntegrity } from './row-integrity.ts';
import type { SessionService } from './session-service.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { mfaEnrolmentRequired, type MfaEnrolmentRequirement } from './mfa/mfa-requirements.ts';

/** A session, or (for an account with a second factor) a pending sign-in waiting for it. */
export type LoginResult =
  | {
      readonly kind: 'session';
      readonly token: string;
      readonly sessionId: string;
      readonly user: UserRow;
      /** Organizations that require a second factor this user has not enrolled: the client must lead them to enrolment. */
      readonly mfaEnrolment: readonly MfaEnrolmentRequirement[];
    }
  | { readonly kind: 'mfa'; readonly pendingToken: string; readonly methods: readonly string[]; readonly user: UserRow };

/** The MFA step as the login needs it (mfa/mfa-login.ts). */
export interface LoginMfaStep {
  /** The second-factor methods the user has, read in the login's own transaction. */
  methodsFor(userId: string, tx: Tx): Promise<string[]>;
  /** Whether those methods make a password alone insufficient. */
  needsSecondFactor(methods: readonly string[]): boolean;
  /** Opens the pending sign-in in the login's transaction. */
  begin(tx: Tx, user: UserRow, source: AuditSource, methods: readonly string[]): Promise<{ token: string; methods: string[] }>;
}

export interface LoginService {
  /**
   * Verifies email + password and opens a session — or, when the account has a second factor, only
   * a pending sign-in for the MFA step; any failure is `invalid_credentials`.
   */
  login(input: { email: string; password: string; source: AuditSource }): Promise<LoginResult>;
}

export function createLoginService(deps: { transactor: AppTransactor; hasher: PasswordHasher; integrity: Pick<RowIntegrity, 'openPasswordHash' | 'sealPasswordHash' | 'rowValid'>; sessions: SessionService; clock: Clock; audit: AuditRecorder; throttle: LoginThrottle; mfa?: LoginMfaStep; lockoutThreshold?: number; localSignIn?: (user: UserRow, method: 'pwd', source: AuditSource) => Promise<void> }): LoginService {
  const { transactor, hasher, sessions, clock, audit, throttle, mfa } = deps;

  async function refuse(email: string, source: AuditSource, reason: string, failures?: number, user?: UserRow | null): Promise<never> {
    await record(email, source, reason, failures, user);
    throw new AppError('invalid_credentials');
  }

  /**
   * Records the failure in the platform log and (issue 14 part 5) in each organization of the
   * account the address names; an unknown address goes to the platform log alone, through the
   * same statement. `user` undefined: not looked up yet, so it is looked up here.
   */
  async function record(email: string, source: AuditSource, reason: string, failures?: number, user?: UserRow | null): Promise<void> {
    await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      const account = user === undefined ? ((await findUserByEmail(tx, email, deps.integrity)) ?? null) : user;
      const base = { actor: { type: 'anonymous', id: null, display_name: null }, outcome: 'failure', source, ...(account === null ? {} : { targets: [{ type: 'user', id: account.id }] }) } as const;
      const locked = failures !== undefined && failures === deps.lockoutThreshold;
      await audit.recordForUser(tx, account?.id ?? null, [
        // The address as typed (truncated), never the password.
        { ...base, action: 'session.login_failed', metadata: { email: email.slice(0, 254), reason, ...(failures === undefined ? {} : { consecutive_failures: failures }) } },
        ...(locked ? [{ ...base, action: 'session.locked_out' as const, metadata: { email: email.slice(0, 254), consecutive_failures: failures } }] : []),
      ]);
    });
  }

  return {
    login: async ({ email, password, source }) => {
      // ASVS 6.2.x: a password longer than any we accept is refused before any hashing work.
      if (isOverlongPassword(password)) return refuse(email, source, 'password_too_long');
      // AUTH-6: a locked account, or one whose next attempt is not yet due, is refused before any
      // password work — known and unknown accounts alike. Issue 14: the attempt is admitted and
      // counted as a failure in one atomic step BEFORE the hash, so a parallel burst (any number of
      // nodes) is admitted one by one against the count, not all against the count before it.
      // One transaction before the hash: the reservation (in it when the counters are in the
      // database) and the account.
      const { failures, user } = await transactor
        .withPlatform(async (tx) => ({ failures: await throttle.reserve(email, tx), user: await findUserByEmail(tx, email, deps.integrity) }))
        .catch(async (error: unknown) => {
          if (error instanceof AppError && error.code === 'too_many_attempts') await record(email, source, 'throttled');
          throw error;
        });
      // Uniform work: an unknown or disabled account still costs one argon2id verification, so
      // timing does not reveal whether the account exists (ASVS 6.3.8).
      const usable = user !== undefined && user.disabled_at === null;
      // Issue 13, property 2: the hash is stored sealed to the user; one that does not open (written
      // by SQL in the clear, or copied from another account) verifies nothing.
      const stored = usable ? deps.integrity.openPasswordHash(user) : undefined;
      const ok = await hasher.verify(stored ?? hasher.dummyHash, password);
      // The failure was counted when the attempt was admitted.
      if (!usable || stored === undefined || !ok) return refuse(email, source, 'invalid_credentials', failures, user ?? null);
      // The right password clears the count (its own reservation included).
      await throttle.succeed(email);
      // Issue 18: an organization that requires SSO for this address's domain refuses local sign-in
      // (after the password, so the answer never tells whether an account exists).
      await deps.localSignIn?.(user, 'pwd', source);
      const rehash = hasher.needsRehash(stored) ? await hasher.hash(password) : undefined;
      // After the password, one transaction: the second factors, then either the pending MFA step
      // or the session (with its audit event).
      return transactor.withTenant(PLATFORM_TENANT_ID, async (tx): Promise<LoginResult> => {
        if (rehash !== undefined) await updatePasswordHash(tx, user.id, deps.integrity.sealPasswordHash(user.id, rehash), clock.now());
        const methods = mfa === undefined ? [] : await mfa.methodsFor(user.id, tx);
        if (mfa !== undefined && mfa.needsSecondFactor(methods)) {
          // AUTH-2: the password alone opens no session; the second factor completes the sign-in.
          const pending = await mfa.begin(tx, user, source, methods);
          return { kind: 'mfa', pendingToken: pending.token, methods: pending.methods, user };
        }
        // A fresh session id at every login: nothing chosen before authentication survives it.
        const { token, sessionId } = await sessions.create(tx, user, { ip: source.ip ?? '', userAgent: source.user_agent ?? undefined, authMethods: ['pwd'] });
        // Issue 3 part 7: an organization requiring MFA refuses this password-only session until
        // the user enrols a second factor; the answer says so (and which methods count).
        const mfaEnrolment = mfa === undefined ? [] : await mfaEnrolmentRequired(tx, methods);
        // The organizations' copies leave out how many organizations want MFA: that counts the others.
        await audit.recordForUser(tx, user.id, [{
          action: 'session.created',
          actor: { type: user.is_platform_admin ? 'operator' : 'user', id: user.id, display_name: user.display_name },
          outcome: 'success',
          source,
          targets: [{ type: 'session', id: sessionId }],
          metadata: { amr: 'pwd', rehashed: rehash !== undefined },
          ...(mfaEnrolment.length === 0 ? {} : { platformMetadata: { mfa_enrolment_required: mfaEnrolment.length } }),
        }]);
        return { kind: 'session', token, sessionId, user, mfaEnrolment };
      }, user.id);
    },
  };
}
