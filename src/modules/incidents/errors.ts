import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const INCIDENTS_ERRORS = defineErrors({
  incident_resolved: { status: 409, title: 'The incident is resolved and can no longer change' },
  clock_already_met: { status: 409, title: 'The clock was already met' },
  unknown_component: { status: 400, title: 'An affected component does not exist' },
  unknown_severity: { status: 400, title: 'The severity is not one of the configured levels' },
  incident_role_required: { status: 403, title: 'Only the incident commander or communications lead can do this' },
  no_affected_organizations: { status: 409, title: 'The incident lists no affected organization to notify' },
  not_a_breach: { status: 409, title: 'The incident is not marked a personal-data breach' },
  invalid_maintenance_window: { status: 400, title: 'The maintenance window is not valid' },
  review_published: { status: 409, title: 'The post-incident review is published and can no longer change' },
  review_incomplete: { status: 409, title: 'The post-incident review needs a summary and a root cause before it is published' },
  incident_open: { status: 409, title: 'The incident is not resolved yet' },
  unknown_placeholder: { status: 400, title: 'The template uses a placeholder that does not exist' },
  probe_not_available: { status: 400, title: 'This deployment has nothing for that probe to check' },
  check_address_not_allowed: { status: 400, title: 'The check\u2019s address is not allowed (private, loopback or reserved)' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof INCIDENTS_ERRORS, true> {}
}
