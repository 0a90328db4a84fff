export type AlertKind = 'break_glass' | 'refresh_token_reused' | 'trust_check_failed' | 'incident_clock_overdue' | 'disclosure_clock_reminder' | 'disclosure_clock_overdue' | 'trust_attestation_lapsing';
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
}

export interface AlertsTables {
  security_alerts: SecurityAlertsTable;
}
