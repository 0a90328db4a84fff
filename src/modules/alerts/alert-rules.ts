import type { AlertKind, AlertSeverity } from './alerts-tables.ts';

/** One alert rule's settings: a default below, or a platform administrator's override (`security_alert_rules`). */
export interface AlertRule {
  readonly kind: AlertKind;
  readonly enabled: boolean;
  /** Signals about one subject within one window before the alert is raised (1: the first raises it). */
  readonly threshold: number;
  /** The window: signals within it are counted together and raise at most one alert (deduplication). */
  readonly windowSeconds: number;
  readonly severity: AlertSeverity;
  /** What the rule watches, one line (docs and `GET /api/v1/platform/alert-rules`). */
  readonly description: string;
}

export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];

/** Whether `severity` is at least `min` (low < medium < high < critical). */
export function atLeast(severity: AlertSeverity, min: AlertSeverity): boolean {
  return ALERT_SEVERITIES.indexOf(severity) >= ALERT_SEVERITIES.indexOf(min);
}

const HOUR = 3600;
const DAY = 86_400;

/** The built-in rules: the platform-level defaults every override starts from. */
export const DEFAULT_ALERT_RULES: Readonly<Record<AlertKind, AlertRule>> = Object.freeze({
  lockouts: { kind: 'lockouts', enabled: true, threshold: 5, windowSeconds: 15 * 60, severity: 'high', description: 'Accounts locked out (AUTH-6) across the deployment, counted per window: many at once is credential stuffing.' },
  refresh_token_reused: { kind: 'refresh_token_reused', enabled: true, threshold: 1, windowSeconds: HOUR, severity: 'high', description: 'A refresh token was presented again after its rotation (its family is revoked).' },
  break_glass: { kind: 'break_glass', enabled: true, threshold: 1, windowSeconds: HOUR, severity: 'critical', description: 'Break-glass access was taken.' },
  authorization_denial_spike: { kind: 'authorization_denial_spike', enabled: true, threshold: 50, windowSeconds: 5 * 60, severity: 'medium', description: "Authorization denials (authz.denied) in one organization's log, counted per window." },
  audit_verification_failed: { kind: 'audit_verification_failed', enabled: true, threshold: 1, windowSeconds: DAY, severity: 'critical', description: 'An audit log failed verification against its hash chain and signed checkpoints (AUD-2).' },
  trust_check_failed: { kind: 'trust_check_failed', enabled: true, threshold: 1, windowSeconds: DAY, severity: 'high', description: 'A trust-center check started to fail.' },
  key_provider_error: { kind: 'key_provider_error', enabled: true, threshold: 1, windowSeconds: HOUR, severity: 'critical', description: 'The root key provider (local keyring or AWS KMS) refused or failed an operation (ENC-2).' },
  sso_certificate_expiring: { kind: 'sso_certificate_expiring', enabled: true, threshold: 1, windowSeconds: 30 * DAY, severity: 'high', description: "A SAML connection's identity-provider certificate expires within the window (the window is also how far ahead it looks)." },
  incident_clock_overdue: { kind: 'incident_clock_overdue', enabled: true, threshold: 1, windowSeconds: 60, severity: 'high', description: 'An incident clock is overdue (severity set by the incidents module unless overridden).' },
  disclosure_clock_reminder: { kind: 'disclosure_clock_reminder', enabled: true, threshold: 1, windowSeconds: 60, severity: 'medium', description: 'A vulnerability-disclosure clock is close to due.' },
  disclosure_clock_overdue: { kind: 'disclosure_clock_overdue', enabled: true, threshold: 1, windowSeconds: 60, severity: 'high', description: 'A vulnerability-disclosure clock is overdue.' },
  trust_attestation_lapsing: { kind: 'trust_attestation_lapsing', enabled: true, threshold: 1, windowSeconds: 60, severity: 'medium', description: 'A trust-center attestation is about to lapse.' },
} satisfies Record<AlertKind, AlertRule>);

export const ALERT_KINDS = Object.keys(DEFAULT_ALERT_RULES) as AlertKind[];

export function isAlertKind(value: string): value is AlertKind {
  return Object.hasOwn(DEFAULT_ALERT_RULES, value);
}

/** The start of the fixed window `now` falls in: windows are aligned to the epoch, so every node computes the same one. */
export function windowStart(now: Date, windowSeconds: number): Date {
  const ms = windowSeconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}
