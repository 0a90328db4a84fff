import { cidrList, defineOption, list, optional, optionalHttpUrl, OptionError } from '../../config/options.ts';
import type { AlertSeverity } from './alerts-tables.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** alerts: the organization whose administrators get the deployment-wide alerts (lockouts, key-provider errors). */
    readonly alertsOrganization: string | undefined;
    /** alerts: addresses mailed each new alert at or above `alertsMailMinSeverity`. */
    readonly alertsMailTo: readonly string[];
    readonly alertsMailMinSeverity: AlertSeverity;
    /** alerts: a Standard Webhooks receiver (a SOAR, a pager) for each new alert at or above `alertsWebhookMinSeverity`. */
    readonly alertsWebhookUrl: string | undefined;
    readonly alertsWebhookSecret: string | undefined;
    readonly alertsWebhookMinSeverity: AlertSeverity;
    readonly alertsWebhookAllowedNetworks: readonly string[];
    readonly alertsWebhookCaFile: string | undefined;
  }
}

function severity(raw: unknown): AlertSeverity {
  const text = optional(raw);
  if (text === 'low' || text === 'medium' || text === 'high' || text === 'critical') return text;
  throw new OptionError('expected low, medium, high or critical');
}

function addresses(raw: unknown): readonly string[] {
  const values = list(raw);
  for (const value of values) if (value.length > 254 || /[\s<>,;]/.test(value) || !/^[^@]+@[^@]+\.[^@]+$/.test(value)) throw new OptionError('expected a comma-separated list of addresses');
  return values;
}

/** The alerts module's configuration options (README table, `parapet config check`). */
export const ALERTS_OPTIONS = [
  defineOption({
    key: 'alertsOrganization', env: 'PARAPET_ALERTS_ORGANIZATION', defaultText: '(unset: deployment-wide signals are logged only)',
    description: 'Organization id whose administrators get the deployment-wide security alerts: lockouts over the threshold, key-provider errors.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
  defineOption({
    key: 'alertsMailTo', env: 'PARAPET_ALERTS_MAIL_TO', defaultText: '(none)',
    description: 'Addresses (comma-separated) mailed each new security alert at or above PARAPET_ALERTS_MAIL_MIN_SEVERITY (kind, severity and ids; the text stays in the console).',
    parse: addresses, derive: () => [],
  }),
  defineOption({
    key: 'alertsMailMinSeverity', env: 'PARAPET_ALERTS_MAIL_MIN_SEVERITY', defaultText: 'high',
    description: 'The least severity of a security alert that is mailed (low, medium, high, critical).',
    parse: severity, derive: () => 'high' as const,
  }),
  defineOption({
    key: 'alertsWebhookUrl', env: 'PARAPET_ALERTS_WEBHOOK_URL', defaultText: '(unset)',
    description: 'An https URL sent a Standard Webhooks-signed message for each new security alert at or above PARAPET_ALERTS_WEBHOOK_MIN_SEVERITY (needs PARAPET_ALERTS_WEBHOOK_SECRET).',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'alertsWebhookSecret', env: 'PARAPET_ALERTS_WEBHOOK_SECRET', defaultText: '(unset)', secret: true,
    description: 'The Standard Webhooks signing secret (whsec_…) of the security-alert webhook.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(text)) throw new OptionError('expected a Standard Webhooks secret: whsec_ and at least 24 base64-encoded bytes'); return text; }, derive: () => undefined,
  }),
  defineOption({
    key: 'alertsWebhookMinSeverity', env: 'PARAPET_ALERTS_WEBHOOK_MIN_SEVERITY', defaultText: 'medium',
    description: 'The least severity of a security alert sent to the webhook (low, medium, high, critical).',
    parse: severity, derive: () => 'medium' as const,
  }),
  defineOption({
    key: 'alertsWebhookAllowedNetworks', env: 'PARAPET_ALERTS_WEBHOOK_ALLOWED_NETWORKS', defaultText: '(none)',
    description: "Private networks (comma-separated CIDRs) the security-alert webhook may be in; other private, loopback and metadata addresses are refused (the audit streams' address guard).",
    parse: cidrList, derive: () => [],
  }),
  defineOption({
    key: 'alertsWebhookCaFile', env: 'PARAPET_ALERTS_WEBHOOK_CA_FILE', defaultText: '(unset: the system CA store)',
    description: 'A PEM file of CA certificates trusted for the security-alert webhook instead of the system store.',
    parse: optional, derive: () => undefined,
  }),
] as const;
