import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const TENANTS_ERRORS = defineErrors({
  organization_creation_restricted: { status: 403, title: 'Only platform administrators may create organizations on this Parapet' },
  organization_limit_reached: { status: 403, title: 'You have created as many organizations as this Parapet allows' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof TENANTS_ERRORS, true> {}
}
