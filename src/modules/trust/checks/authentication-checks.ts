import type { Config } from '../../../config/index.ts';
import { fail, pass, type TrustCheck } from './trust-check.ts';

/** AUTH-1's floor: NIST SP 800-63B allows 8, the claim says 12. */
const MIN_PASSWORD_LENGTH = 12;

/** AUTH-1: the password policy in force is at least what the claim states. */
export function passwordPolicyCheck(config: Pick<Config, 'passwordMinLength' | 'passwordMinScore'>): TrustCheck {
  return {
    id: 'auth.password-policy',
    claims: ['AUTH-1'],
    title: 'The password policy in force requires at least 12 characters and a strength estimate.',
    run: async () => {
      const found = `minimum length ${config.passwordMinLength}, minimum strength score ${config.passwordMinScore} of 4`;
      if (config.passwordMinLength < MIN_PASSWORD_LENGTH || config.passwordMinScore < 1) return fail('The password policy in force is weaker than stated.', found);
      return pass(`Passwords need at least ${config.passwordMinLength} characters and a strength score of ${config.passwordMinScore} of 4, and are checked against a blocklist.`, found);
    },
  };
}

/** AUTH-6: lockout and the authentication rate limit are on. */
export function lockoutCheck(config: Pick<Config, 'lockoutThreshold' | 'lockoutMinutes' | 'authRateLimitPerMinute'>): TrustCheck {
  return {
    id: 'auth.lockout',
    claims: ['AUTH-6'],
    title: 'Account lockout and the per-address rate limit on authentication endpoints are configured.',
    run: async () => {
      const found = `lockout after ${config.lockoutThreshold} failures for ${config.lockoutMinutes} min; ${config.authRateLimitPerMinute} authentication requests per minute per address`;
      if (config.lockoutThreshold < 1 || config.lockoutMinutes < 1 || config.authRateLimitPerMinute < 1) return fail('Lockout or rate limiting of sign-in is not in force.', found);
      return pass(`Sign-in locks an account after ${config.lockoutThreshold} failures for ${config.lockoutMinutes} minutes and is rate limited per address.`, found);
    },
  };
}
