import { defineErrors } from '../../platform/http/errors.ts';

/** The error codes this module answers with (module contract: each module declares its own). */
export const SUBSCRIPTIONS_ERRORS = defineErrors({
  subscription_link_invalid: { status: 400, title: 'The link is not valid: it was used already, it expired, it was altered, or it never existed' },
  subscription_webhook_refused: { status: 400, title: 'The webhook URL is not accepted: it must be https and reach a public address' },
  subscription_component_unknown: { status: 400, title: 'A status component named in the subscription does not exist' },
  subprocessor_notice_too_short: { status: 422, title: 'A subprocessor change must be announced at least 30 days before it takes effect' },
  objection_window_closed: { status: 409, title: 'The change has taken effect: objections were open until its effective date' },
});

declare module '../../platform/http/errors.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's codes to the catalogue's type
  interface ModuleErrorCodes extends Record<keyof typeof SUBSCRIPTIONS_ERRORS, true> {}
}
