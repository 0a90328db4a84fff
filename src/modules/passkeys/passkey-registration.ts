import { generateRegistrationOptions, verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { PLATFORM_TENANT_ID, type AuditContext } from '../audit/index.ts';
import { uuidv7 } from '../../platform/crypto/random.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import { AppError } from '../../platform/http/errors.ts';
import { insertPasskey, listUserPasskeys, type PasskeyRow } from './passkeys-store.ts';
import type { PasskeyDeps } from './passkey-deps.ts';
import { CHALLENGE_TTL_MS, challengeBinding, consumeChallenge, storeChallenge } from './webauthn-challenges.ts';

/** COSE algorithms accepted for new credentials: EdDSA, ES256, RS256 (offered and verified alike). */
export const SUPPORTED_ALGORITHMS: readonly number[] = [-8, -7, -257];

/** The signed-in user starting a registration, and the session the challenge is bound to. */
export interface Registrant {
  readonly userId: string;
  readonly sessionId: string;
  readonly email: string;
  readonly displayName: string;
}

/**
 * Options for `navigator.credentials.create()`: the user's existing credentials excluded, a
 * resident (discoverable) key and user verification preferred, 'none' attestation. The challenge
 * is kept server-side for five minutes, bound to the session, and answers once.
 */
export async function registrationOptions(deps: PasskeyDeps, who: Registrant): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { transactor, clock, random, relyingParty } = deps;
  const existing = await transactor.withPlatform((tx) => listUserPasskeys(tx, deps.integrity, who.userId));
  // One user handle per user (WebAuthn L3 §14.6.1: random, no personal data), so an
  // authenticator keeps at most one discoverable credential for the account.
  const userHandle = existing[0]?.user_handle ?? random(32);
  const options = await generateRegistrationOptions({
    rpName: relyingParty.name,
    rpID: relyingParty.id,
    userName: who.email,
    userID: new Uint8Array(userHandle),
    userDisplayName: who.displayName,
    challenge: new Uint8Array(random(32)),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: row.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
  });
  const now = clock.now();
  await transactor.withPlatform((tx) =>
    storeChallenge(tx, {
      purpose: 'registration',
      binding: challengeBinding('session', who.sessionId),
      challenge: options.challenge,
      user_id: who.userId,
      user_handle: userHandle,
      created_at: now,
      expires_at: new Date(now.getTime() + CHALLENGE_TTL_MS),
    }),
  );
  return options;
}

/**
 * Verifies the authenticator's attestation against the session's outstanding challenge and stores
 * the credential under `name`. Every failure is `passkey_registration_failed`.
 */
export async function verifyRegistration(
  deps: PasskeyDeps,
  who: { readonly userId: string; readonly sessionId: string },
  input: { readonly name: string; readonly response: RegistrationResponseJSON },
  ctx: AuditContext,
): Promise<PasskeyRow> {
  const { transactor, clock, random, relyingParty, audit } = deps;
  const refused = (detail: string, cause?: unknown) => new AppError('passkey_registration_failed', { detail, ...(cause === undefined ? {} : { cause }) });
  const challenge = await transactor.withPlatform((tx) => consumeChallenge(tx, 'registration', challengeBinding('session', who.sessionId), clock.now()));
  // The challenge was issued to this session, for this user, and has not been used or expired.
  if (challenge === undefined || challenge.user_id !== who.userId || challenge.user_handle === null) throw refused('No registration is in progress for this session, or it expired. Ask for new options.');
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: relyingParty.origin,
      expectedRPID: relyingParty.id,
      // User verification was preferred, not required: a security key without a PIN may register.
      requireUserVerification: false,
      supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
    });
  } catch (error) {
    throw refused('The authenticator response does not verify.', error);
  }
  if (!verification.verified) throw refused('The authenticator response does not verify.');
  const info = verification.registrationInfo;
  const now = clock.now();
  try {
    return await transactor.withTenant(
      PLATFORM_TENANT_ID,
      async (tx) => {
        const row = await insertPasskey(tx, deps.integrity, {
          id: uuidv7(clock, random),
          user_id: who.userId,
          credential_id: info.credential.id,
          public_key: info.credential.publicKey,
          counter: info.credential.counter,
          transports: (info.credential.transports ?? []).filter((t) => TRANSPORTS.has(t)),
          aaguid: info.aaguid,
          user_handle: challenge.user_handle ?? new Uint8Array(),
          backup_eligible: info.credentialDeviceType === 'multiDevice',
          backed_up: info.credentialBackedUp,
          name: input.name,
          created_at: now,
          last_used_at: null,
        });
        // The platform log and each of the user's organizations' logs (issue 14 part 5).
        await audit.recordForUser(tx, who.userId, [{
          action: 'passkey.registered',
          actor: ctx.actor,
          outcome: 'success',
          source: ctx.source,
          targets: [{ type: 'passkey', id: row.id, name: row.name }],
          metadata: { aaguid: row.aaguid, backup_eligible: row.backup_eligible, backed_up: row.backed_up, user_verified: info.userVerified },
        }]);
        return row;
      },
      who.userId,
    );
  } catch (error) {
    // WebAuthn L3 §7.1 step 26: a credential id already registered (to anyone) is refused.
    if (isUniqueViolation(error)) throw refused('This authenticator is already registered.', error);
    throw error;
  }
}

/** AuthenticatorTransport values (WebAuthn L3 §5.8.4) kept from the client's report. */
export const TRANSPORTS: ReadonlySet<string> = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
