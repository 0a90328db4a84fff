import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const ACCESS_REQUESTS_ERRORS = defineErrors({
  self_approval_refused: { status: 403, title: 'A request cannot be approved by the person who made it' },
  risky_write_disabled: { status: 403, title: 'This operation is disabled for the organization (risky writes are off)' },
  second_approver_available: { status: 409, title: 'Another administrator can approve this operation' },
  cooling_off: { status: 409, title: 'The cooling-off period of this operation has not ended' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof ACCESS_REQUESTS_ERRORS, true> {}
}
