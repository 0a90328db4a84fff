import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const ALERTS_AUDIT_ACTIONS = defineAuditActions({
  'security_alert.raised': "A security alert was raised for the organization's administrators.",
  'security_alert.acknowledged': 'A security alert was acknowledged.',
  'security_alert.rule_changed': 'A platform administrator changed a security-alert rule (enabled, threshold, window, severity) or returned it to its default.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof ALERTS_AUDIT_ACTIONS, true> {}
}
