import { defineOption, optional, OptionError } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** disclosure: an organization whose administrators get an alert before and after a report's deadline. */
    readonly disclosureAlertOrganization: string | undefined;
  }
}

/** The disclosure module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const DISCLOSURE_OPTIONS = [
  defineOption({
    key: 'disclosureAlertOrganization', env: 'PARAPET_DISCLOSURE_ALERT_ORGANIZATION', defaultText: '(unset: reminders and overdue clocks are logged and audited only)',
    description: 'Organization id whose administrators get a security alert when a vulnerability report\u2019s clock (acknowledge, assess, fix) is due soon or overdue.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
] as const;
