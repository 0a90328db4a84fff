import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const DISCLOSURE_ERRORS = defineErrors({
  invalid_cvss_vector: { status: 400, title: 'The CVSS vector is not a complete CVSS 3.1 or 4.0 vector' },
  disclosure_link_invalid: { status: 400, title: 'The link is not valid: it was used already, it expired, or it never existed' },
  invalid_status_change: { status: 409, title: 'The report cannot move to that status from its current one' },
  disclosure_session_required: { status: 401, title: 'Open the researcher portal with a link mailed to you first' },
  disclosure_date_conflict: { status: 409, title: 'There is no proposal from the other side for that disclosure date' },
  disclosure_limit_reached: { status: 409, title: 'This report holds as many messages as it can' },
  attachment_type_not_allowed: { status: 415, title: 'Attachments must be plain text, PDF, PNG, JPEG, GIF or ZIP, and be what they declare' },
  invalid_duplicate_link: { status: 409, title: 'A duplicate links to an original: another received report that is no duplicate itself' },
  too_many_attachments: { status: 413, title: 'This report holds as many attachments as it can' },
  invalid_assignee: { status: 400, title: 'The assignee must be an enabled platform operator' },
  invalid_bounty_tier: { status: 409, title: 'The bounty tier is not one of the published policy\u2019s tiers' },
  invalid_incident_link: { status: 409, title: 'There is no such incident' },
  advisory_not_ready: { status: 409, title: 'An advisory needs a fixed report with a severity, and one advisory per report' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof DISCLOSURE_ERRORS, true> {}
}
