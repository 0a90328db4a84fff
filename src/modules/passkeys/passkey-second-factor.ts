import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../platform/http/errors.ts';
import { jsonBytes, jsonDate, type SecondFactor } from '../identity/index.ts';
import { passkeyValid, type PasskeyIntegrity } from './passkey-integrity.ts';
import type { Passkeys } from './passkeys-service.ts';

/**
 * Passkeys and security keys as a second factor (AUTH-3) in the MFA sign-in and step-up steps.
 * The challenge is bound to the attempt (pending sign-in or session) and to the user; a refused
 * assertion is a wrong proof (undefined), so the MFA step counts it like a wrong code.
 */
export function passkeySecondFactor(passkeys: Passkeys, integrity: PasskeyIntegrity): SecondFactor {
  return {
    kind: 'webauthn',
    primary: true,
    enrolledQuery: (tx, userId) =>
      tx.selectFrom('passkeys').select(['id', 'user_id', 'credential_id', 'public_key', 'user_handle', 'backup_eligible', 'created_at', 'integrity_mac']).where('user_id', '=', userId),
    // Issue 13: a passkey SQL inserted (or moved) does not make the user look enrolled.
    enrolledValid: (row) => {
      const publicKey = jsonBytes(row['public_key']);
      const userHandle = jsonBytes(row['user_handle']);
      return publicKey !== null && userHandle !== null && passkeyValid(integrity, {
        id: String(row['id']),
        user_id: String(row['user_id']),
        credential_id: String(row['credential_id']),
        public_key: publicKey,
        user_handle: userHandle,
        backup_eligible: row['backup_eligible'] === true,
        created_at: jsonDate(row['created_at']),
        integrity_mac: jsonBytes(row['integrity_mac']),
      });
    },
    // The request options themselves: the challenge routes answer `{ options: <these> }`.
    begin: async ({ userId, attemptId }) => ({ ...(await passkeys.secondFactorOptions({ userId, binding: attemptId })) }),
    verify: async ({ userId, attemptId, proof }) => {
      if (proof.response === undefined || typeof proof.response !== 'object') return undefined;
      try {
        const use = await passkeys.verifySecondFactor({
          userId,
          binding: attemptId,
          response: proof.response as AuthenticationResponseJSON,
          source: { ip: null, user_agent: null, request_id: null },
        });
        return { amr: use.amr };
      } catch (error) {
        if (error instanceof AppError && error.code === 'passkey_refused') return undefined;
        throw error;
      }
    },
  };
}
