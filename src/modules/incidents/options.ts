import { cidrList, defineOption, integer, list, optional, optionalHttpUrl, OptionError } from '../../config/options.ts';

/** One configured severity level and its customer-notice clocks (none: no notice is owed). */
export interface SeverityLevel {
  readonly name: string;
  readonly notice: { readonly firstNoticeMs: number; readonly updateEveryMs: number } | undefined;
}

/** The breach regimes whose clocks start when an incident is marked a personal-data breach. */
export type BreachRegime = 'gdpr' | 'nis2' | 'dpdp' | 'cert_in';
export const BREACH_REGIMES: readonly BreachRegime[] = ['gdpr', 'nis2', 'dpdp', 'cert_in'];

declare module '../../config/options.ts' {
  interface Config {
    /** incidents: an organization whose administrators get an alert when an incident clock is overdue. */
    readonly incidentAlertOrganization: string | undefined;
    /** incidents: severity levels, most severe first, with their first-notice and update clocks. */
    readonly incidentSeverities: readonly SeverityLevel[];
    /** incidents: the breach regimes whose clocks start when a breach is marked. */
    readonly incidentBreachRegimes: readonly BreachRegime[];
    /** incidents: hours after awareness within which affected customers are told of a breach (24, 48 or 72). */
    readonly incidentCustomerBreachHours: number;
    /** incidents: addresses that get a mail when a clock warns or is overdue. */
    readonly incidentEscalationEmails: readonly string[];
    /** incidents: a Standard Webhooks receiver for clock warnings and overdue clocks. */
    readonly incidentEscalationWebhookUrl: string | undefined;
    readonly incidentEscalationWebhookSecret: string | undefined;
    readonly incidentEscalationWebhookAllowedNetworks: readonly string[];
    readonly incidentEscalationWebhookCaFile: string | undefined;
  }
}

export const DEFAULT_SEVERITIES = 'critical:1h/2h,high:4h/6h,medium:24h/24h,low';
const SEVERITY_SHAPE = /^([a-z][a-z0-9_]{0,29})(?::(\d{1,4})(h|m)\/(\d{1,4})(h|m))?$/;

/** `name[:<first>/<update>]`, comma-separated, most severe first; durations in `h` or `m`. */
export function parseSeverities(raw: unknown): readonly SeverityLevel[] {
  const entries = list(raw);
  if (entries.length === 0 || entries.length > 10) throw new OptionError(`expected 1 to 10 levels, most severe first, e.g. ${DEFAULT_SEVERITIES}`);
  const levels = entries.map((entry) => {
    const m = SEVERITY_SHAPE.exec(entry);
    if (m === null) throw new OptionError(`expected name[:<n>h/<n>h], e.g. ${DEFAULT_SEVERITIES}`);
    const ms = (n: string | undefined, unit: string | undefined) => Number(n) * (unit === 'h' ? 3_600_000 : 60_000);
    const notice = m[2] === undefined ? undefined : { firstNoticeMs: ms(m[2], m[3]), updateEveryMs: ms(m[4], m[5]) };
    if (notice !== undefined && (notice.firstNoticeMs < 60_000 || notice.updateEveryMs < 60_000)) throw new OptionError('notice clocks must be at least one minute');
    return { name: m[1] ?? '', notice };
  });
  if (new Set(levels.map((l) => l.name)).size !== levels.length) throw new OptionError('a severity is listed twice');
  return levels;
}

function regimes(raw: unknown): readonly BreachRegime[] {
  const names = list(raw);
  for (const name of names) if (!(BREACH_REGIMES as readonly string[]).includes(name)) throw new OptionError(`expected a comma-separated list of ${BREACH_REGIMES.join(', ')}`);
  return [...new Set(names)] as BreachRegime[];
}

function addresses(raw: unknown): readonly string[] {
  const values = list(raw);
  for (const value of values) if (value.length > 254 || /[\s<>,;]/.test(value) || !/^[^@]+@[^@]+\.[^@]+$/.test(value)) throw new OptionError('expected a comma-separated list of addresses');
  return values;
}

function webhookSecret(raw: unknown): string | undefined {
  const text = optional(raw);
  if (text !== undefined && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(text)) throw new OptionError('expected a Standard Webhooks secret: whsec_ and at least 24 base64-encoded bytes');
  return text;
}

/** The incidents module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const INCIDENTS_OPTIONS = [
  defineOption({
    key: 'incidentAlertOrganization', env: 'PARAPET_INCIDENT_ALERT_ORGANIZATION', defaultText: '(unset: overdue clocks are logged and audited only)',
    description: 'Organization id whose administrators get a security alert when an incident clock (customer notice, GDPR, NIS2, post-incident report) is overdue.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
  defineOption({
    key: 'incidentSeverities', env: 'PARAPET_INCIDENT_SEVERITIES', defaultText: DEFAULT_SEVERITIES,
    description: 'Incident severity levels, most severe first, each with its first customer notice and update cadence (name:<first>/<update>, in h or m; a level without them owes no notice).',
    parse: parseSeverities, derive: () => parseSeverities(DEFAULT_SEVERITIES),
  }),
  defineOption({
    key: 'incidentBreachRegimes', env: 'PARAPET_INCIDENT_BREACH_REGIMES', defaultText: BREACH_REGIMES.join(','),
    description: 'Regulatory regimes whose clocks start when an incident is marked a personal-data breach: gdpr (Art. 33, 72 h), nis2 (24 h / 72 h / one month), dpdp (India, 72 h), cert_in (India, 6 h).',
    parse: regimes, derive: () => BREACH_REGIMES,
  }),
  defineOption({
    key: 'incidentCustomerBreachHours', env: 'PARAPET_INCIDENT_CUSTOMER_BREACH_HOURS', defaultText: '72',
    description: 'Hours after awareness of a personal-data breach within which affected customers must be told (24, 48 or 72; the customer_breach_notice clock).',
    parse: (raw) => { const n = integer(24, 72)(raw); if (n !== 24 && n !== 48 && n !== 72) throw new OptionError('expected 24, 48 or 72'); return n; }, derive: () => 72,
  }),
  defineOption({
    key: 'incidentEscalationEmails', env: 'PARAPET_INCIDENT_ESCALATION_EMAILS', defaultText: '(none)',
    description: 'Addresses (comma-separated) mailed when an incident clock starts to warn and when it is overdue.',
    parse: addresses, derive: () => [],
  }),
  defineOption({
    key: 'incidentEscalationWebhookUrl', env: 'PARAPET_INCIDENT_ESCALATION_WEBHOOK_URL', defaultText: '(unset)',
    description: 'An https URL sent a Standard Webhooks-signed message when an incident clock starts to warn and when it is overdue (needs PARAPET_INCIDENT_ESCALATION_WEBHOOK_SECRET).',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'incidentEscalationWebhookSecret', env: 'PARAPET_INCIDENT_ESCALATION_WEBHOOK_SECRET', defaultText: '(unset)', secret: true,
    description: 'The Standard Webhooks signing secret (whsec_…) of the escalation webhook.',
    parse: webhookSecret, derive: () => undefined,
  }),
  defineOption({
    key: 'incidentEscalationWebhookAllowedNetworks', env: 'PARAPET_INCIDENT_ESCALATION_WEBHOOK_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) the escalation webhook may be in; other private, loopback and metadata addresses are refused (the audit streams\' address guard).',
    parse: cidrList, derive: () => [],
  }),
  defineOption({
    key: 'incidentEscalationWebhookCaFile', env: 'PARAPET_INCIDENT_ESCALATION_WEBHOOK_CA_FILE', defaultText: '(unset: the system CA store)',
    description: 'A PEM file of CA certificates trusted for the escalation webhook instead of the system store.',
    parse: optional, derive: () => undefined,
  }),
] as const;
