import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const ACCESS_ERRORS = defineErrors({
  ip_not_allowed: { status: 403, title: 'This is not allowed from your network address' },
  mfa_method_not_allowed: { status: 403, title: 'The organization does not accept the second factor this session used' },
  policy_would_lock_you_out: { status: 409, title: 'The policy would refuse your own session' },
  outside_time_window: { status: 403, title: 'This is not allowed at this time' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof ACCESS_ERRORS, true> {}
}
