import type { Generated } from 'kysely';

export type AlertKind = 'break_glass' | 'refresh_token_reused' | 'trust_check_failed' | 'incident_clock_overdue' | 'disclosure_clock_reminder' | 'disclosure_clock_overdue' | 'trust_attestation_lapsing'
  | 'lockouts' | 'authorization_denial_spike' | 'audit_verification_failed' | 'key_provider_error' | 'sso_certificate_expiring';
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

export interface SecurityAlertsTable {
  tenant_id: string;
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  summary: string;
  actor_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  /** Deduplication (0139): the start of the rule's window this alert counts signals in; null for alerts raised before. */
  window_start: Date | null;
  occurrences: Generated<number>;
  last_seen_at: Date | null;
}

export interface SecurityAlertSignalsTable {
  tenant_id: string;
  kind: AlertKind;
  subject_type: string;
  subject_id: string;
  window_start: Date;
  count: number;
}

export interface SecurityAlertRulesTable {
  kind: AlertKind;
  enabled: boolean;
  threshold: number;
  window_seconds: number;
  severity: AlertSeverity;
  updated_by: string | null;
  updated_at: Date;
}

export interface SecurityAlertDeliveriesTable {
  id: string;
  /** The alert's organization (a platform table: not `tenant_id`, which marks tenant tables). */
  organization_id: string;
  alert_id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  channel: 'mail' | 'webhook';
  target: string;
  created_at: Date;
  next_attempt_at: Date;
  attempts: number;
  mail_id: string | null;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_error: string | null;
}

export interface AlertsTables {
  security_alerts: SecurityAlertsTable;
  security_alert_signals: SecurityAlertSignalsTable;
  security_alert_rules: SecurityAlertRulesTable;
  security_alert_deliveries: SecurityAlertDeliveriesTable;
}
