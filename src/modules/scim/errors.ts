import { defineErrors } from '../../platform/http/errors.ts';

/**
 * The error codes the SCIM admin API answers with (problem+json). The SCIM protocol routes under
 * /scim/v2 answer RFC 7644 §3.12 errors instead (scim-error.ts): SCIM clients parse only those.
 */
export const SCIM_ERRORS = defineErrors({
  scim_mapping_exists: { status: 409, title: 'This group is already mapped to this role in the directory' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof SCIM_ERRORS, true> {}
}
