import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../platform/http/errors.ts';
import type { SecondFactor } from '../identity/index.ts';
import type { Passkeys } from './passkeys-service.ts';

/**
 * Passkeys and security keys as a second factor (AUTH-3) in the MFA sign-in and step-up steps.
 * The challenge is bound to the attempt (pending sign-in or session) and to the user; a refused
 * assertion is a wrong proof (undefined), so the MFA step counts it like a wrong code.
 */
export function passkeySecondFactor(passkeys: Passkeys): SecondFactor {
  return {
    kind: 'webauthn',
    primary: true,
    enrolledQuery: (tx, userId) => tx.selectFrom('passkeys').select('id').where('user_id', '=', userId),
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
