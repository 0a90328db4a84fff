import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const SECRETS_ERRORS = defineErrors({
  invalid_secret_name: { status: 400, title: 'The secret name is not valid' },
  secret_unreadable: { status: 409, title: 'The secret value cannot be decrypted (its key was destroyed or the stored value was altered)' },
  secret_too_large: { status: 413, title: 'The secret value is too large' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof SECRETS_ERRORS, true> {}
}
