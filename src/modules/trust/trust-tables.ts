import type { ColumnType } from 'kysely';

export type CheckStatus = 'pass' | 'fail' | 'not_applicable';
export type EntryKind = 'certification' | 'document' | 'subprocessor' | 'faq';

export interface TrustCheckResultsTable {
  id: string;
  check_id: string;
  claims: string[];
  status: CheckStatus;
  statement: string;
  detail: string;
  started_at: Date;
  finished_at: Date;
}

export interface TrustEntriesTable {
  id: string;
  kind: EntryKind;
  position: number;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Date;
  updated_at: Date;
}

export interface TrustCanaryTable {
  tenant_id: string;
  id: string;
  written_at: Date;
}

export interface TrustTables {
  trust_check_results: TrustCheckResultsTable;
  trust_entries: TrustEntriesTable;
  trust_canary: TrustCanaryTable;
}

/** AUD-2: how far each organization's audit log was last proved (migration 0118), read and written in its own context. */
export interface TrustLogPositionsTable {
  tenant_id: string;
  size: string | number;
  root: string;
  frontier: string;
  note: string;
  verified_at: Date;
  full_verified_at: Date;
}

export interface TrustTables {
  trust_log_positions: TrustLogPositionsTable;
}
