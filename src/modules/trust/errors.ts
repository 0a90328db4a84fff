import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const TRUST_ERRORS = defineErrors({
  trust_link_invalid: { status: 400, title: 'The link is not valid: it was used already, it expired, it was revoked, or it never existed' },
  nda_version_outdated: { status: 409, title: 'The NDA changed since the page was shown; read and accept the current version' },
  nda_unavailable: { status: 409, title: 'No NDA is published yet, so documents under NDA cannot be requested' },
  invalid_pdf: { status: 400, title: 'The upload is not a PDF document that can be read' },
  nda_request_closed: { status: 409, title: 'The request is not in a state that allows this' },
  invalid_evidence_file: { status: 400, title: 'The upload is not a file of the type it was sent as (a PDF, PNG or JPEG)' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof TRUST_ERRORS, true> {}
}
