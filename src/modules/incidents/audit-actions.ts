import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const INCIDENTS_AUDIT_ACTIONS = defineAuditActions({
  'incident.opened': 'A platform administrator opened an incident (IR-1): severity and the clocks it started.',
  'incident.changed': 'An incident\'s phase, severity, title or affected components changed; resolving it starts the post-incident report clock.',
  'incident.entry_added': 'A timeline entry was added to an incident: an internal note or a public update (public updates appear on /status and meet the notice clocks).',
  'incident.breach_marked': 'An incident was marked a personal-data breach; the GDPR Art. 33 and NIS2 clocks started from the time of awareness (IR-3).',
  'incident.clock_met': 'A platform administrator recorded that a regulatory or report clock was met, and by what.',
  'incident.clock_overdue': 'An incident clock passed its deadline unmet; a security alert was raised once.',
  'status.component_changed': 'A platform administrator created or changed a status page component or its status (IR-4).',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof INCIDENTS_AUDIT_ACTIONS, true> {}
}
