import type { ColumnType } from 'kysely';

export type ReportStatus = 'unverified' | 'received' | 'acknowledged' | 'assessed' | 'fixed' | 'rejected';
export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface DisclosureReportsTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  reporter_email: string;
  content_sealed: string;
  status: ReportStatus;
  cvss_vector: string | null;
  cvss_score: ColumnType<string | null, number | null, number | null>;
  severity: Severity | null;
  created_at: Date;
  received_at: Date | null;
  acknowledge_by: Date | null;
  acknowledged_at: Date | null;
  assess_by: Date | null;
  assessed_at: Date | null;
  fix_by: Date | null;
  fixed_at: Date | null;
  updated_at: Date;
  /** The coordinated disclosure date (`YYYY-MM-DD`), proposed by one side, agreed by the other. */
  disclosure_date: string | null;
  disclosure_date_proposed_by: Side | null;
  disclosure_date_agreed_at: Date | null;
  /** The earlier report this one duplicates (an original, never another duplicate). */
  duplicate_of: string | null;
  /** A platform operator working on the report. */
  assignee_user_id: string | null;
  /** The incident the report opened or was linked to. */
  incident_id: string | null;
  /** The reporter's choice of credit; null until they make one. */
  credit_consent: CreditConsent | null;
  credit_name: string | null;
  credit_consented_at: Date | null;
  bounty_amount: string | null;
  bounty_tier: Exclude<Severity, 'none'> | null;
}

export type CreditConsent = 'named' | 'anonymous' | 'none';
export type ClockName = 'acknowledge' | 'assess' | 'fix';
export type ClockEvent = 'started' | 'moved' | 'met' | 'reminded' | 'overdue' | 'stopped';

/** Who speaks in a report's conversation: its reporter (portal) or the platform's triagers. */
export type Side = 'reporter' | 'triager';

export interface DisclosureTokensTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  purpose: 'verify' | 'portal';
  token_hash: Buffer;
  report_id: string | null;
  email: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface DisclosurePolicyTable {
  tenant_id: ColumnType<string, string | undefined, never>;
  data: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
}

export interface DisclosurePortalSessionsTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  token_hash: Buffer;
  email: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface DisclosureMessagesTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  report_id: string;
  author: Side;
  author_user_id: string | null;
  body_sealed: string;
  created_at: Date;
}

export interface DisclosureAttachmentsTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  report_id: string;
  content_type: string;
  size_bytes: number;
  name_sealed: string;
  content_sealed: string;
  created_at: Date;
}

export interface DisclosureSettingsTable {
  tenant_id: ColumnType<string, string | undefined, never>;
  data: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
}

export interface DisclosureClockEventsTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  report_id: string;
  clock: ClockName;
  event: ClockEvent;
  due_at: Date | null;
  at: Date;
  claim: string | null;
  seq: ColumnType<string, never, never>;
}

export interface DisclosureAdvisoriesTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  report_id: string;
  tracking_id: string;
  title: string;
  summary: string;
  product_name: string;
  affected_versions: string;
  fixed_version: string;
  cve: string | null;
  published_at: Date;
}

export interface DisclosureTables {
  disclosure_reports: DisclosureReportsTable;
  disclosure_tokens: DisclosureTokensTable;
  disclosure_policy: DisclosurePolicyTable;
  disclosure_portal_sessions: DisclosurePortalSessionsTable;
  disclosure_messages: DisclosureMessagesTable;
  disclosure_attachments: DisclosureAttachmentsTable;
  disclosure_settings: DisclosureSettingsTable;
  disclosure_clock_events: DisclosureClockEventsTable;
  disclosure_advisories: DisclosureAdvisoriesTable;
}
