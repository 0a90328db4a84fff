import { defineAuditActions } from '../audit/index.ts';

/** The audit actions this module records (module contract: each module declares its own). */
export const DISCLOSURE_AUDIT_ACTIONS = defineAuditActions({
  'disclosure.report_submitted': 'A vulnerability report was submitted and a verification link mailed to its reporter; it is not accepted until the link is used.',
  'disclosure.report_verified': 'A reporter used the verification link: the report is received and its clocks (acknowledgement 24 h, assessment 5 business days) start.',
  'disclosure.portal_link_requested': 'Someone asked for a researcher portal link for an address; a link is mailed only when the address has reports.',
  'disclosure.portal_viewed': 'A reporter used a portal link to read their own reports.',
  'disclosure.report_read': 'A platform administrator read a vulnerability report (its decrypted text).',
  'disclosure.report_triaged': 'A platform administrator changed a report\'s status, severity (CVSS 3.1 or 4.0 vector), duplicate link, assignee or bounty; deadlines follow.',
  'disclosure.portal_session_opened': 'A reporter used a portal link: a short portal session bound to their address was opened.',
  'disclosure.message_posted': 'A reporter or a triager added a message to a report\'s conversation (its text is encrypted, never in the event).',
  'disclosure.date_proposed': 'A reporter or a triager proposed a coordinated disclosure date for a report.',
  'disclosure.date_agreed': 'The other side agreed to the proposed coordinated disclosure date of a report.',
  'disclosure.attachment_added': 'A reporter attached a file to their report (type and size recorded; the file is encrypted).',
  'disclosure.attachment_downloaded': 'A reporter or a triager downloaded a report\'s attachment.',
  'disclosure.policy_changed': 'A platform administrator changed the published disclosure policy.',
  'disclosure.settings_changed': 'A platform administrator changed the disclosure program settings (working days, holidays, fix days, reminders, advisory publisher).',
  'disclosure.incident_linked': 'A platform administrator linked a report to an incident, opened one for it, or removed the link.',
  'disclosure.clock_reminder': 'A report\'s clock (acknowledge, assess or fix) is due soon: a reminder was raised.',
  'disclosure.clock_overdue': 'A report\'s clock (acknowledge, assess or fix) passed its deadline unmet: it was escalated.',
  'disclosure.credit_changed': 'A reporter chose how they are credited (by name, anonymously, or not at all); the name is never in the event.',
  'disclosure.advisory_published': 'A platform administrator published an advisory and its CSAF 2.0 document for a fixed report.',
});

declare module '../audit/index.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- adds this module's actions to the catalogue's type
  interface ModuleAuditActions extends Record<keyof typeof DISCLOSURE_AUDIT_ACTIONS, true> {}
}
