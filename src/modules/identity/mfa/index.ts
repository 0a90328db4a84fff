import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { FieldEncryption } from '../../keys/index.ts';
import type { Random } from '../../../platform/crypto/random.ts';
import type { AuditRecorder } from '../../audit/index.ts';
import { createLoginThrottle, type LoginThrottle } from '../login-throttle.ts';
import type { ThrottleStore } from '../throttle-store.ts';
import type { PasswordHasher } from '../password-hasher.ts';
import { createReauthentication, type Reauthentication } from '../reauthenticate.ts';
import type { SessionService } from '../session-service.ts';
import { createFactorRegistry, type FactorRegistry } from './factor-registry.ts';
import { createMfaEnrolment, type MfaEnrolment } from './mfa-enrolment.ts';
import { createMfaLogin, type MfaLogin } from './mfa-login.ts';
import { purgePendingLogins } from './mfa-store.ts';
import { createRecoveryCodeFactor } from './recovery-code-factor.ts';
import { createTotpFactor } from './totp-factor.ts';
import { createTotpSecretBox } from './totp-secret-box.ts';
import type { FactorIntegrity } from './factor-integrity.ts';
import type { RowIntegrity } from '../row-integrity.ts';

export { createFactorRegistry, jsonBytes, jsonDate, type FactorProof, type FactorRegistry, type SecondFactor, type VerifiedFactor } from './factor-registry.ts';
export { PENDING_LOGIN_MAX_FAILURES, PENDING_LOGIN_TTL_MS, sessionAmr, type MfaLogin } from './mfa-login.ts';
export { pendingLoginCookieFor, registerMfaRoutes } from './mfa-routes.ts';
export { createFirstFactorUpgrade, type FirstFactorUpgrade } from './first-factor-upgrade.ts';
export type { MfaEnrolment } from './mfa-enrolment.ts';
export type { MfaTables } from './mfa-tables.ts';
export { MFA_SECTION, mfaPersonalData } from './mfa-personal-data.ts';

export interface Mfa {
  /** Where second-factor kinds register (`totp` and `recovery_code` built in; passkeys add `webauthn`). */
  readonly registry: FactorRegistry;
  readonly login: MfaLogin;
  readonly enrolment: MfaEnrolment;
  readonly reauth: Reauthentication;
  /** Per-account second-factor throttle (the login throttle's `mfa` namespace). */
  readonly throttle: LoginThrottle;
  /** Deletes pending sign-ins that expired over an hour ago; returns how many. */
  purgeExpired(): Promise<number>;
}

/** Assembles the second-factor machinery: registry with TOTP and recovery codes, sign-in step, enrolment, step-up. */
export function createMfa(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: AuditRecorder;
  sessions: SessionService;
  hasher: PasswordHasher;
  fields: Pick<FieldEncryption, 'encryptField' | 'decryptField'>;
  /** The password throttle (by email), for re-authentication. */
  passwordThrottle: LoginThrottle;
  /** Where the second-factor counters live (the password throttle's store). */
  throttleStore: ThrottleStore;
  throttleKey: Buffer;
  lockout: { threshold: number; lockMinutes: number };
  issuer: string;
  /** Row MACs for TOTP factors and recovery codes (issue 13). */
  integrity: FactorIntegrity & Pick<RowIntegrity, 'openPasswordHash' | 'storedDigest'>;
}): Mfa {
  const { transactor, clock, random, audit, sessions } = deps;
  const box = createTotpSecretBox(deps.fields);
  const registry = createFactorRegistry(transactor);
  registry.register(createTotpFactor({ transactor, clock, box, integrity: deps.integrity }));
  registry.register(createRecoveryCodeFactor({ transactor, clock, audit, integrity: deps.integrity }));
  const throttle = createLoginThrottle({ store: deps.throttleStore, clock, key: deps.throttleKey, threshold: deps.lockout.threshold, lockMinutes: deps.lockout.lockMinutes, namespace: 'mfa' });
  const login = createMfaLogin({ transactor, clock, random, registry, sessions, throttle, audit, integrity: deps.integrity });
  const enrolment = createMfaEnrolment({
    transactor,
    clock,
    random,
    box,
    audit,
    integrity: deps.integrity,
    issuer: deps.issuer,
    // Another primary kind (e.g. a passkey) keeps the recovery codes alive when TOTP is removed.
    hasOtherPrimaryFactor: async (userId) => registry.anyPrimary((await registry.methodsFor(userId)).filter((kind) => kind !== 'totp')),
  });
  const reauth = createReauthentication({ transactor, clock, hasher: deps.hasher, integrity: deps.integrity, sessions, throttle: deps.passwordThrottle, mfa: login, audit });
  const purgeExpired = () => transactor.withPlatform((tx) => purgePendingLogins(tx, new Date(clock.now().getTime() - 3_600_000)));
  return { registry, login, enrolment, reauth, throttle, purgeExpired };
}
