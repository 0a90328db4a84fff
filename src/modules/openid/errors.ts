import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const OPENID_ERRORS = defineErrors({
  sign_up_not_allowed: { status: 403, title: 'Sign-up is not open for this application' },
  sign_up_domain_not_allowed: { status: 403, title: 'Sign-up is not open to addresses of this domain' },
  invalid_client_jwks: { status: 400, title: "The application's JWK Set is not a set of public signing keys" },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof OPENID_ERRORS, true> {}
}
