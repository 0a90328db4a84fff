import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const PASSKEYS_ERRORS = defineErrors({
  passkey_registration_failed: { status: 400, title: 'The passkey could not be registered' },
  passkey_refused: { status: 401, title: 'The passkey was not accepted' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof PASSKEYS_ERRORS, true> {}
}
