/** A configured severity level's name (PARAPET_INCIDENT_SEVERITIES). */
export type Severity = string;
export type Phase = 'detect' | 'analyse' | 'contain' | 'eradicate' | 'recover' | 'post_incident';
export type EntryKind = 'note' | 'public_update' | 'change';
export type ComponentStatus = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'maintenance';
export type ClockName = 'first_notice' | 'update' | 'gdpr_art33' | 'nis2_early_warning' | 'nis2_notification' | 'nis2_final_report' | 'post_incident_report' | 'dpdp_report' | 'cert_in' | 'customer_breach_notice' | 'status_page_update';

export const PHASES: readonly Phase[] = ['detect', 'analyse', 'contain', 'eradicate', 'recover', 'post_incident'];
export const COMPONENT_STATUSES: readonly ComponentStatus[] = ['operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance'];

export interface StatusComponentsTable {
  id: string;
  name: string;
  description: string;
  status: ComponentStatus;
  position: number;
  group_name: string;
  /** Who set the status last: an operator, or the probes (status_checks). */
  set_by: 'operator' | 'probe';
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

/** The post-incident review of one incident (IR-1). */
export interface IncidentReviewsTable {
  incident_id: string;
  summary: string;
  root_cause: string;
  went_well: string;
  went_badly: string;
  updated_at: Date;
  updated_by: string | null;
  published_at: Date | null;
  published_by: string | null;
}

export type ActionStatus = 'open' | 'in_progress' | 'done' | 'wont_do';
export const ACTION_STATUSES: readonly ActionStatus[] = ['open', 'in_progress', 'done', 'wont_do'];

export interface IncidentReviewActionsTable {
  id: string;
  incident_id: string;
  title: string;
  owner_id: string | null;
  /** A calendar day, YYYY-MM-DD. */
  due_on: string | null;
  status: ActionStatus;
  created_at: Date;
  updated_at: Date;
}

/** A platform administrator's version of a notice template; none: the built-in text. */
export interface IncidentNoticeTemplatesTable {
  template: NoticeTemplate;
  subject: string;
  body: string;
  updated_at: Date;
  updated_by: string | null;
}

export type CheckKind = 'api' | 'database' | 'redis' | 'mail' | 'key_provider' | 'http';
export const CHECK_KINDS: readonly CheckKind[] = ['api', 'database', 'redis', 'mail', 'key_provider', 'http'];

/** A probe of one of Parapet's parts, or an operator's HTTP check, feeding a status component (IR-4). */
export interface StatusChecksTable {
  id: string;
  component_id: string;
  kind: CheckKind;
  name: string;
  url: string | null;
  interval_seconds: number;
  failures_before_outage: number;
  enabled: boolean;
  next_check_at: Date;
  last_checked_at: Date | null;
  last_ok: boolean | null;
  last_error: string | null;
  last_latency_ms: number | null;
  consecutive_failures: number;
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
  incident_reviews: IncidentReviewsTable;
  incident_review_actions: IncidentReviewActionsTable;
  incident_notice_templates: IncidentNoticeTemplatesTable;
  status_checks: StatusChecksTable;
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
