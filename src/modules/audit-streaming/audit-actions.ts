import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const AUDIT_STREAMING_AUDIT_ACTIONS = defineAuditActions({
  'audit.destination_created': "A SIEM destination (syslog or webhook) was added to the organization's audit stream.",
  'audit.destination_updated': 'An audit stream destination was renamed, enabled or disabled, or its format or target changed.',
  'audit.destination_deleted': 'An audit stream destination was deleted.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof AUDIT_STREAMING_AUDIT_ACTIONS, true> {}
}
