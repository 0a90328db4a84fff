import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const SSO_ERRORS = defineErrors({
  sso_failed: { status: 401, title: 'The single sign-on did not complete; start it again' },
  sso_required: { status: 403, title: 'Your organization requires single sign-on for this account' },
  sso_metadata_invalid: { status: 400, title: 'The identity provider metadata or certificate is not valid' },
  domain_not_verified: { status: 409, title: 'The domain could not be verified: neither the expected DNS TXT record nor the HTTPS well-known file was found' },
  sso_metadata_unreachable: { status: 422, title: 'The identity provider metadata URL could not be fetched (HTTPS, a 200 answer within 5 seconds, at most 1 MB, no redirect)' },
  domain_taken: { status: 409, title: 'The domain is already verified by another organization' },
  sso_group_rule_exists: { status: 409, title: 'The connection already maps this group to this role at this scope' },
  sso_setup_link_invalid: { status: 401, title: 'This setup link is not valid (expired, revoked, already opened in another browser, or mistyped); ask your administrator for a new one' },
  sso_connection_in_use: { status: 409, title: 'Claimed domains still route sign-ins to this connection; remove or re-route them first' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof SSO_ERRORS, true> {}
}
