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
}

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

export interface DisclosureTables {
  disclosure_reports: DisclosureReportsTable;
  disclosure_tokens: DisclosureTokensTable;
  disclosure_policy: DisclosurePolicyTable;
}
