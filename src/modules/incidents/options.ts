import { asString, cidrList, defineOption, integer, list, optional, optionalHttpUrl, OptionError } from '../../config/options.ts';
import { assertTimeZone } from '../../platform/deadlines/index.ts';

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
    /** incidents: the policy clocks counted in working hours instead of elapsed time. */
    readonly incidentBusinessHoursClocks: readonly BusinessHoursClock[];
    /** incidents: the working days, hours, time zone and holidays of those clocks. */
    readonly incidentWorkingDays: readonly number[];
    readonly incidentWorkingHours: { readonly startMinute: number; readonly endMinute: number };
    readonly incidentTimeZone: string;
    readonly incidentHolidays: readonly string[];
    /** incidents: private networks operator-defined status checks may reach (the audit streams' address guard). */
    readonly statusCheckAllowedNetworks: readonly string[];
    readonly statusCheckCaFile: string | undefined;
  }
}

/**
 * The clocks that may count working hours: the customer-notice policy's own. The regulatory
 * clocks run in elapsed time by law (GDPR Art. 33 "72 hours", NIS2 "24 hours"), so they cannot.
 */
export type BusinessHoursClock = 'first_notice' | 'update' | 'status_page_update';
export const BUSINESS_HOURS_CLOCKS: readonly BusinessHoursClock[] = ['first_notice', 'update', 'status_page_update'];

function businessHoursClocks(raw: unknown): readonly BusinessHoursClock[] {
  const names = list(raw);
  for (const name of names) if (!(BUSINESS_HOURS_CLOCKS as readonly string[]).includes(name)) throw new OptionError(`expected a comma-separated list of ${BUSINESS_HOURS_CLOCKS.join(', ')} (regulatory clocks run in elapsed time)`);
  return [...new Set(names)] as BusinessHoursClock[];
}

function workingDays(raw: unknown): readonly number[] {
  const days = list(raw).map((d) => (/^[0-6]$/.test(d) ? Number(d) : Number.NaN));
  if (days.length === 0 || days.some((d) => Number.isNaN(d))) throw new OptionError('expected days of the week, 0 = Sunday … 6 = Saturday, comma-separated');
  return [...new Set(days)].sort();
}

/** `HH:MM-HH:MM`, local time; the end may be 24:00. */
export function parseWorkingHours(raw: unknown): { readonly startMinute: number; readonly endMinute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(asString(raw).trim());
  const start = m === null ? Number.NaN : Number(m[1]) * 60 + Number(m[2]);
  const end = m === null ? Number.NaN : Number(m[3]) * 60 + Number(m[4]);
  if (!(start < end && end <= 1440)) throw new OptionError('expected HH:MM-HH:MM, the start before the end, e.g. 09:00-17:00');
  return { startMinute: start, endMinute: end };
}

function timeZone(raw: unknown): string {
  const text = asString(raw).trim();
  try {
    assertTimeZone(text);
  } catch {
    throw new OptionError('expected an IANA time zone, e.g. Europe/Berlin');
  }
  return text;
}

function holidays(raw: unknown): readonly string[] {
  const days = list(raw);
  for (const day of days) if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) throw new OptionError('expected calendar days, YYYY-MM-DD, comma-separated');
  if (days.length > 400) throw new OptionError('at most 400 holidays');
  return [...new Set(days)];
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
  defineOption({
    key: 'incidentBusinessHoursClocks', env: 'PARAPET_INCIDENT_BUSINESS_HOURS_CLOCKS', defaultText: '(none: every clock runs in elapsed time)',
    description: 'Customer-notice clocks counted in working hours (first_notice, update, status_page_update); regulatory clocks always run in elapsed time.',
    parse: businessHoursClocks, derive: () => [],
  }),
  defineOption({
    key: 'incidentWorkingDays', env: 'PARAPET_INCIDENT_WORKING_DAYS', defaultText: '1,2,3,4,5',
    description: 'Working days of the business-hours clocks, 0 = Sunday … 6 = Saturday, in PARAPET_INCIDENT_TIME_ZONE.',
    parse: workingDays, derive: () => [1, 2, 3, 4, 5],
  }),
  defineOption({
    key: 'incidentWorkingHours', env: 'PARAPET_INCIDENT_WORKING_HOURS', defaultText: '09:00-17:00',
    description: 'Working hours of the business-hours clocks (HH:MM-HH:MM, local time in PARAPET_INCIDENT_TIME_ZONE).',
    parse: parseWorkingHours, derive: () => ({ startMinute: 540, endMinute: 1020 }),
  }),
  defineOption({
    key: 'incidentTimeZone', env: 'PARAPET_INCIDENT_TIME_ZONE', defaultText: 'UTC',
    description: 'The IANA time zone the business-hours clocks\' working days, hours and holidays are read in.',
    parse: timeZone, derive: () => 'UTC',
  }),
  defineOption({
    key: 'incidentHolidays', env: 'PARAPET_INCIDENT_HOLIDAYS', defaultText: '(none)',
    description: 'Holidays (YYYY-MM-DD, comma-separated, local dates) on which the business-hours clocks do not run.',
    parse: holidays, derive: () => [],
  }),
  defineOption({
    key: 'statusCheckAllowedNetworks', env: 'PARAPET_STATUS_CHECK_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) operator-defined status checks may reach; other private, loopback and metadata addresses are refused (the audit streams\' address guard).',
    parse: cidrList, derive: () => [],
  }),
  defineOption({
    key: 'statusCheckCaFile', env: 'PARAPET_STATUS_CHECK_CA_FILE', defaultText: '(unset: the system CA store)',
    description: 'A PEM file of CA certificates trusted for operator-defined status checks instead of the system store.',
    parse: optional, derive: () => undefined,
  }),
] as const;
