import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const TRUST_AUDIT_ACTIONS = defineAuditActions({
  'trust.checks_ran': 'The trust center ran its live control checks (TR-4): how many, how many fail, and the SHA-256 of the recorded results.',
  'trust.check_failed': 'A trust center check turned from passing to failing; its control shows as failing on the public page.',
  'trust.check_recovered': 'A failing trust center check passed again.',
  'trust.organization_report': "An organization's signed trust report (its own checks, issue 20 item 9) was downloaded.",
  'trust.entry_changed': 'A platform administrator created, changed or deleted a trust center entry (certification, document, subprocessor, question).',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof TRUST_AUDIT_ACTIONS, true> {}
}
