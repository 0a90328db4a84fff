export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type Phase = 'detect' | 'analyse' | 'contain' | 'eradicate' | 'recover' | 'post_incident';
export type EntryKind = 'note' | 'public_update' | 'change';
export type ComponentStatus = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'maintenance';
export type ClockName = 'first_notice' | 'update' | 'gdpr_art33' | 'nis2_early_warning' | 'nis2_notification' | 'nis2_final_report' | 'post_incident_report';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
export const PHASES: readonly Phase[] = ['detect', 'analyse', 'contain', 'eradicate', 'recover', 'post_incident'];
export const COMPONENT_STATUSES: readonly ComponentStatus[] = ['operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance'];

export interface StatusComponentsTable {
  id: string;
  name: string;
  description: string;
  status: ComponentStatus;
  position: number;
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
}

export interface IncidentsTables {
  status_components: StatusComponentsTable;
  incidents: IncidentsTable;
  incident_entries: IncidentEntriesTable;
  incident_clocks: IncidentClocksTable;
}
