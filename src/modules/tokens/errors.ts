import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const TOKENS_ERRORS = defineErrors({
  invalid_grant: { status: 400, title: 'The refresh token is invalid, expired, revoked or already used' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof TOKENS_ERRORS, true> {}
}
