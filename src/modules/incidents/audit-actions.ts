import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const INCIDENTS_AUDIT_ACTIONS = defineAuditActions({
  'incident.opened': 'A platform administrator opened an incident (IR-1): severity and the clocks it started.',
  'incident.changed': 'An incident\'s phase, severity, title or affected components changed; resolving it starts the post-incident report clock.',
  'incident.entry_added': 'A timeline entry was added to an incident: an internal note or a public update (public updates appear on /status and meet the notice clocks).',
  'incident.breach_marked': 'An incident was marked a personal-data breach; the GDPR Art. 33 and NIS2 clocks started from the time of awareness (IR-3).',
  'incident.clock_met': 'A platform administrator recorded that a regulatory or report clock was met, and by what.',
  'incident.clock_overdue': 'An incident clock passed its deadline unmet; its escalations (mail, signed webhook, security alert) were queued once.',
  'incident.clock_warning': 'An incident clock started to warn before its deadline; its escalations (mail, signed webhook) were queued once.',
  'incident.notice_sent': 'A notice from a template was sent to the administrators of the organizations an incident affects (IR-3).',
  'incident.linked': 'A security alert or an audit event of an organization was linked to an incident (IR-1, IR-5); an incident opened from an alert links it.',
  'status.maintenance_changed': 'A platform administrator scheduled or cancelled a maintenance window on the status page (IR-4).',
  'status.component_changed': 'A platform administrator created or changed a status page component or its status (IR-4).',
  'incident.review_saved': 'The post-incident review\'s text (summary, root cause, what went well and badly) was saved (IR-1).',
  'incident.review_published': 'The post-incident review was published; it met the 14-day post_incident_report clock (IR-2).',
  'incident.review_action_changed': 'A follow-up action of a post-incident review was added or changed (owner, due date, status).',
  'incident.template_changed': 'A platform administrator edited a notice template or reset it to the built-in text (IR-3).',
  'status.check_changed': 'A platform administrator added, changed or removed a status check (a built-in probe or an HTTP check) (IR-4).',
  'status.component_probed': 'The status checks moved a component to another status (outage found or recovered); one event per change, not per probe (IR-4).',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof INCIDENTS_AUDIT_ACTIONS, true> {}
}
