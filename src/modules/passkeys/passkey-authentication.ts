import { ParapetError } from '../../platform/errors.ts';
import { generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { PLATFORM_TENANT_ID, type AuditSource } from '../audit/index.ts';
import type { Tx } from '../../database.ts';
import { findUserById, type UserRow } from '../identity/index.ts';
import { newSecretToken } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { PasskeyDeps } from './passkey-deps.ts';
import { advanceCounter, findPasskeyByCredentialId, findUserPasskeyByCredentialId, listUserPasskeys, type PasskeyRow } from './passkeys-store.ts';
import type { ChallengePurpose } from './passkeys-tables.ts';
import { CHALLENGE_TTL_MS, challengeBinding, consumeChallenge, storeChallenge, type ChallengeRow } from './webauthn-challenges.ts';

/**
 * The RFC 8176 `amr` values a passkey contributes: `hwk` for a device-bound credential (BE flag
 * clear: the private key cannot leave the authenticator), `swk` for a synced, backup-eligible one;
 * `user` for the user-presence test; and `mfa` when the authenticator verified the user (PIN or
 * biometric), since possession plus verification is two factors.
 */
export function passkeyAmr(passkey: Pick<PasskeyRow, 'backup_eligible'>, userVerified: boolean): string[] {
  return [passkey.backup_eligible ? 'swk' : 'hwk', 'user', ...(userVerified ? ['mfa'] : [])];
}

/** A verified use of a passkey. */
export interface PasskeyUse {
  readonly passkeyId: string;
  readonly credentialId: string;
  readonly userVerified: boolean;
  readonly amr: readonly string[];
}

async function issue(deps: PasskeyDeps, purpose: ChallengePurpose, binding: Buffer, userId: string | null, options: Omit<Parameters<typeof generateAuthenticationOptions>[0], 'rpID' | 'challenge' | 'timeout'>): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { transactor, clock, random, relyingParty } = deps;
  const generated = await generateAuthenticationOptions({ ...options, rpID: relyingParty.id, challenge: new Uint8Array(random(32)), timeout: CHALLENGE_TTL_MS });
  const now = clock.now();
  await transactor.withPlatform((tx) =>
    storeChallenge(tx, { purpose, binding, challenge: generated.challenge, user_id: userId, user_handle: null, created_at: now, expires_at: new Date(now.getTime() + CHALLENGE_TTL_MS) }),
  );
  return generated;
}

/**
 * Options for a passwordless sign-in: no allowCredentials (the authenticator offers its
 * discoverable credentials), user verification required. `ceremony` is a fresh secret the client
 * returns with the answer (the route keeps it in an HttpOnly cookie); the challenge is bound to it.
 */
export async function passwordlessOptions(deps: PasskeyDeps): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; ceremony: string }> {
  const ceremony = newSecretToken(deps.random);
  const options = await issue(deps, 'passwordless', challengeBinding('ceremony', ceremony), null, { userVerification: 'required' });
  return { options, ceremony };
}

/** Options for a passkey as second factor: the user's own credentials only, verification preferred. */
export async function secondFactorOptions(deps: PasskeyDeps, input: { readonly userId: string; readonly binding: string }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const own = await deps.transactor.withPlatform((tx) => listUserPasskeys(tx, deps.integrity, input.userId));
  return issue(deps, 'second_factor', challengeBinding('mfa', input.binding), input.userId, {
    allowCredentials: own.map((row) => ({ id: row.credential_id, transports: row.transports })),
    userVerification: 'preferred',
  });
}

/** Why an assertion was refused; recorded in the audit event, never told to the client. */
type Refusal = 'no_challenge' | 'unknown_credential' | 'user_disabled' | 'user_handle_mismatch' | 'assertion_invalid' | 'counter_regressed';

class Refused extends ParapetError {
  readonly code = 'passkey_refused';
  readonly reason: Refusal;
  constructor(reason: Refusal) {
    super(reason);
    this.reason = reason;
  }
}

/**
 * Checks an assertion for `passkey` against `challenge` with the library's full verification
 * (type, challenge, origin, RP ID hash, UP, UV when required, signature). The signature counter is
 * checked afterwards by `advanceCounter`, so only a correctly signed assertion can be reported as a
 * possibly cloned authenticator.
 */
async function verifyAssertion(deps: PasskeyDeps, response: AuthenticationResponseJSON, challenge: ChallengeRow, passkey: PasskeyRow, requireUserVerification: boolean) {
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: deps.relyingParty.origin,
      expectedRPID: deps.relyingParty.id,
      // Counter 0 here turns the library's own counter check off: ours runs after the signature.
      credential: { id: passkey.credential_id, publicKey: new Uint8Array(passkey.public_key), counter: 0, transports: passkey.transports },
      requireUserVerification,
    });
    if (!result.verified) throw new Refused('assertion_invalid');
    return result.authenticationInfo;
  } catch (error) {
    if (error instanceof Refused) throw error;
    throw new Refused('assertion_invalid');
  }
}

/**
 * Records the use, or refuses when the counter did not increase: a cloned authenticator (WebAuthn
 * L3 §6.1.1) — the refusal and a `passkey.counter_regressed` security event commit together.
 */
async function recordUse(deps: PasskeyDeps, tx: Tx, passkey: PasskeyRow, info: { newCounter: number; credentialBackedUp: boolean }, actor: UserRow, source: AuditSource): Promise<boolean> {
  if (await advanceCounter(tx, passkey.id, info.newCounter, info.credentialBackedUp, deps.clock.now())) return true;
  await deps.audit.record(tx, PLATFORM_TENANT_ID, {
    action: 'passkey.counter_regressed',
    actor: { type: actor.is_platform_admin ? 'operator' : 'user', id: actor.id, display_name: actor.display_name },
    outcome: 'failure',
    source,
    targets: [{ type: 'passkey', id: passkey.id, name: passkey.name }],
    metadata: { stored_counter: Number(passkey.counter), presented_counter: info.newCounter },
  });
  return false;
}

async function recordFailure(deps: PasskeyDeps, method: 'passkey' | 'passkey_second_factor', reason: Refusal | 'throttled', source: AuditSource, passkeyId?: string): Promise<void> {
  await deps.transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
    deps.audit.record(tx, PLATFORM_TENANT_ID, {
      action: 'session.login_failed',
      actor: { type: 'anonymous', id: null, display_name: null },
      outcome: 'failure',
      source,
      metadata: { method, reason, ...(passkeyId === undefined ? {} : { passkey_id: passkeyId }) },
    }),
  );
}

/**
 * Admits the attempt for each subject (issue 14: counted as a failure in the same atomic step,
 * before the assertion is verified) — or, with `count: false` (no challenge to verify against),
 * only checks them. Records a throttled attempt before letting `too_many_attempts` through.
 */
async function throttled(deps: PasskeyDeps, subjects: readonly string[], method: 'passkey' | 'passkey_second_factor', source: AuditSource, count = true): Promise<void> {
  try {
    for (const subject of subjects) {
      if (count) await deps.throttle.reserve(subject);
      else await deps.throttle.check(subject);
    }
  } catch (error) {
    await recordFailure(deps, method, 'throttled', source);
    throw error;
  }
}

/**
 * Passwordless sign-in: the ceremony's challenge is consumed, the credential names the user, the
 * assertion must verify with user verification, the counter must increase. Opens a session whose
 * amr is `passkeyAmr(…, true)`. Every failure is `passkey_refused` (or `too_many_attempts`).
 */
export async function verifyPasswordless(
  deps: PasskeyDeps,
  input: { readonly ceremony: string | undefined; readonly response: AuthenticationResponseJSON; readonly source: AuditSource },
): Promise<{ token: string; sessionId: string; user: UserRow; amr: readonly string[] }> {
  const { transactor, clock, throttle } = deps;
  const { response, source } = input;
  const challenge = input.ceremony === undefined ? undefined : await transactor.withPlatform((tx) => consumeChallenge(tx, 'passwordless', challengeBinding('ceremony', input.ceremony ?? ''), clock.now()));
  const credentialSubject = `credential:${response.id}`;
  // AUTH-6: unknown credential ids are throttled exactly like known ones. A missing or expired
  // challenge is a slow user, not a guess: checked, not counted.
  await throttled(deps, [credentialSubject], 'passkey', source, challenge !== undefined);
  let subjects = [credentialSubject];
  let passkeyId: string | undefined;
  try {
    if (challenge === undefined) throw new Refused('no_challenge');
    const found = await transactor.withPlatform((tx) => findPasskeyByCredentialId(tx, deps.integrity, response.id));
    if (found === undefined) throw new Refused('unknown_credential');
    const { passkey, user } = found;
    passkeyId = passkey.id;
    subjects = [credentialSubject, `user:${user.id}`];
    await throttled(deps, [subjects[1] ?? ''], 'passkey', source);
    if (user.disabled_at !== null) throw new Refused('user_disabled');
    // WebAuthn L3 §7.2 step 6: with no user identified beforehand, userHandle must be present and
    // name the credential's owner — the session is the owner's, whatever the response claims.
    if (response.response.userHandle !== Buffer.from(passkey.user_handle).toString('base64url')) throw new Refused('user_handle_mismatch');
    const info = await verifyAssertion(deps, response, challenge, passkey, true);
    await deps.localSignIn?.(user, 'passkey', source);
    const opened = await transactor.withTenant(
      PLATFORM_TENANT_ID,
      async (tx) => {
        if (!(await recordUse(deps, tx, passkey, info, user, source))) return undefined;
        const amr = passkeyAmr(passkey, info.userVerified);
        const { token, sessionId } = await deps.sessions.create(tx, user, { ip: source.ip ?? '', userAgent: source.user_agent ?? undefined, authMethods: amr });
        await deps.audit.recordForUser(tx, user.id, [{
          action: 'session.created',
          actor: { type: user.is_platform_admin ? 'operator' : 'user', id: user.id, display_name: user.display_name },
          outcome: 'success',
          source,
          targets: [
            { type: 'session', id: sessionId },
            { type: 'passkey', id: passkey.id, name: passkey.name },
          ],
          metadata: { amr: amr.join(' '), method: 'passkey' },
        }]);
        return { token, sessionId, user, amr };
      },
      user.id,
    );
    if (opened === undefined) throw new Refused('counter_regressed');
    for (const subject of subjects) await throttle.succeed(subject);
    return opened;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    // Failures were counted when the attempt was admitted (a missing challenge never was).
    await recordFailure(deps, 'passkey', error.reason, source, passkeyId);
    throw new AppError('passkey_refused');
  }
}

/**
 * A passkey as the second factor of `userId`, after their password (the seam for the MFA step).
 * `binding` is the pending MFA state's identifier, the same value given to `secondFactorOptions`;
 * the challenge is consumed whatever the outcome. Only the user's own credentials verify; user
 * verification is not required; the counter must increase. Returns the passkey used and its amr
 * contribution; throws `passkey_refused` or `too_many_attempts`. Opens no session.
 */
export async function verifySecondFactor(
  deps: PasskeyDeps,
  input: { readonly userId: string; readonly binding: string; readonly response: AuthenticationResponseJSON; readonly source: AuditSource },
): Promise<PasskeyUse> {
  const { transactor, clock, throttle } = deps;
  const { userId, response, source } = input;
  const challenge = await transactor.withPlatform((tx) => consumeChallenge(tx, 'second_factor', challengeBinding('mfa', input.binding), clock.now()));
  const subject = `user:${userId}`;
  // Only an attempt with this state's challenge is a guess worth counting.
  await throttled(deps, [subject], 'passkey_second_factor', source, challenge !== undefined && challenge.user_id === userId);
  let passkeyId: string | undefined;
  try {
    // The challenge was issued for this pending state and this user.
    if (challenge === undefined || challenge.user_id !== userId) throw new Refused('no_challenge');
    const found = await transactor.withPlatform(async (tx) => {
      const passkey = await findUserPasskeyByCredentialId(tx, deps.integrity, userId, response.id);
      const user = passkey === undefined ? undefined : await findUserById(tx, userId);
      return passkey === undefined || user === undefined ? undefined : { passkey, user };
    });
    if (found === undefined) throw new Refused('unknown_credential');
    const { passkey, user } = found;
    passkeyId = passkey.id;
    if (user.disabled_at !== null) throw new Refused('user_disabled');
    // WebAuthn L3 §7.2 step 6: a userHandle, when present, must be the owner's.
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(passkey.user_handle).toString('base64url')) throw new Refused('user_handle_mismatch');
    const info = await verifyAssertion(deps, response, challenge, passkey, false);
    const used = await transactor.withTenant(PLATFORM_TENANT_ID, (tx) => recordUse(deps, tx, passkey, info, user, source), userId);
    if (!used) throw new Refused('counter_regressed');
    await throttle.succeed(subject);
    return { passkeyId: passkey.id, credentialId: passkey.credential_id, userVerified: info.userVerified, amr: passkeyAmr(passkey, info.userVerified) };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    await recordFailure(deps, 'passkey_second_factor', error.reason, source, passkeyId);
    throw new AppError('passkey_refused');
  }
}
