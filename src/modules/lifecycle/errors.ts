import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const LIFECYCLE_ERRORS = defineErrors({
  retention_type_unknown: { status: 400, title: 'There is no retention data type of this name for organizations' },
  retention_out_of_bounds: { status: 400, title: 'The retention period is outside the bounds allowed for this data type' },
  deletion_cancel_invalid: { status: 400, title: 'The deletion cancel token is invalid or the deletion is no longer pending' },
  organization_pending_deletion: { status: 409, title: 'The organization is scheduled for deletion and read-only until the deletion is cancelled' },
  sole_owner: { status: 409, title: 'The account is the only owner of an organization: hand the organization over or delete it first' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof LIFECYCLE_ERRORS, true> {}
}
