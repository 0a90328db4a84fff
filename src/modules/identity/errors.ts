import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const IDENTITY_ERRORS = defineErrors({
  password_too_short: { status: 400, title: 'The password is too short' },
  password_too_long: { status: 400, title: 'The password is too long' },
  password_too_common: { status: 400, title: 'The password is too common' },
  password_too_weak: { status: 400, title: 'The password is too easy to guess' },
  setup_link_invalid: { status: 400, title: 'The setup link is invalid, used or expired' },
  invalid_credentials: { status: 401, title: 'The email or password is incorrect' },
  invalid_mfa_code: { status: 401, title: 'The second factor is incorrect, expired or already used' },
  mfa_pending_invalid: { status: 401, title: 'The sign-in to complete is missing, expired or already used; sign in again' },
  too_many_attempts: { status: 429, title: 'Too many failed sign-ins for this account' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof IDENTITY_ERRORS, true> {}
}
