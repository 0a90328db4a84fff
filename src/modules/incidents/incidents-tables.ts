/** A configured severity level's name (PARAPET_INCIDENT_SEVERITIES). */
export type Severity = string;
export type Phase = 'detect' | 'analyse' | 'contain' | 'eradicate' | 'recover' | 'post_incident';
export type EntryKind = 'note' | 'public_update' | 'change';
export type ComponentStatus = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'maintenance';
export type ClockName = 'first_notice' | 'update' | 'gdpr_art33' | 'nis2_early_warning' | 'nis2_notification' | 'nis2_final_report' | 'post_incident_report' | 'dpdp_report' | 'cert_in' | 'customer_breach_notice';

export const PHASES: readonly Phase[] = ['detect', 'analyse', 'contain', 'eradicate', 'recover', 'post_incident'];
export const COMPONENT_STATUSES: readonly ComponentStatus[] = ['operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance'];

export interface StatusComponentsTable {
  id: string;
  name: string;
  description: string;
  status: ComponentStatus;
  position: number;
  group_name: string;
  created_at: Date;
  updated_at: Date;
}

export interface IncidentsTable {
  id: string;
  title: string;
  severity: Severity;
  phase: Phase;
  detected_at: Date;
  personal_data_breach: boolean;
  aware_at: Date | null;
  resolved_at: Date | null;
  affected_components: string[];
  affected_organizations: string[];
  created_by: string | null;
  commander_id: string | null;
  communications_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface IncidentEntriesTable {
  id: string;
  incident_id: string;
  kind: EntryKind;
  body: string;
  author_id: string | null;
  created_at: Date;
}

export interface IncidentClocksTable {
  id: string;
  incident_id: string;
  clock: ClockName;
  started_at: Date;
  due_at: Date;
  met_at: Date | null;
  met_by: string | null;
  overdue_alerted_at: Date | null;
  warn_at: Date;
  warned_at: Date | null;
}

export type EscalationKind = 'warning' | 'overdue';

export interface IncidentEscalationsTable {
  id: string;
  incident_id: string;
  clock_id: string;
  clock: string;
  kind: EscalationKind;
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

export type NoticeTemplate = 'initial' | 'update' | 'resolved' | 'breach';
export const NOTICE_TEMPLATES: readonly NoticeTemplate[] = ['initial', 'update', 'resolved', 'breach'];

/** A notice to one affected organization's administrators (tenant table). */
export interface IncidentNoticesTable {
  tenant_id: string;
  id: string;
  incident_id: string;
  template: NoticeTemplate;
  subject: string;
  body: string;
  mail_ids: string[];
  sent_at: Date;
}

export interface StatusComponentChangesTable {
  id: string;
  component_id: string;
  status: ComponentStatus;
  changed_at: Date;
}

export interface StatusMaintenancesTable {
  id: string;
  title: string;
  body: string;
  components: string[];
  starts_at: Date;
  ends_at: Date;
  cancelled_at: Date | null;
  created_at: Date;
}

export interface IncidentsTables {
  status_components: StatusComponentsTable;
  incidents: IncidentsTable;
  incident_entries: IncidentEntriesTable;
  incident_clocks: IncidentClocksTable;
  incident_escalations: IncidentEscalationsTable;
  incident_notices: IncidentNoticesTable;
  status_component_changes: StatusComponentChangesTable;
  status_maintenances: StatusMaintenancesTable;
  incident_links: IncidentLinksTable;
}

/** A security alert or audit event of an organization linked to an incident (0140). */
export interface IncidentLinksTable {
  id: string;
  incident_id: string;
  kind: 'alert' | 'audit_event';
  organization_id: string;
  ref_id: string;
  label: string;
  occurred_at: Date;
  linked_by: string | null;
  linked_at: Date;
}
