import { defineOption, optional, OptionError } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** incidents: an organization whose administrators get an alert when an incident clock is overdue. */
    readonly incidentAlertOrganization: string | undefined;
  }
}

/** The incidents module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const INCIDENTS_OPTIONS = [
  defineOption({
    key: 'incidentAlertOrganization', env: 'PARAPET_INCIDENT_ALERT_ORGANIZATION', defaultText: '(unset: overdue clocks are logged and audited only)',
    description: 'Organization id whose administrators get a security alert when an incident clock (customer notice, GDPR, NIS2, post-incident report) is overdue.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
] as const;
