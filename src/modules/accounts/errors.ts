import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const ACCOUNTS_ERRORS = defineErrors({
  link_invalid: { status: 400, title: 'The link is invalid, used or expired' },
  invitation_invalid: { status: 400, title: 'The invitation is invalid, used, revoked or expired' },
  sign_in_required: { status: 401, title: 'Sign in as the invited user to accept this invitation' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof ACCOUNTS_ERRORS, true> {}
}
