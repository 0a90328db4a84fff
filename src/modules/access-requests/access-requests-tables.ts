import type { ColumnType } from 'kysely';

export type AccessRequestStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'revoked';

export interface AccessRequestsTable {
  tenant_id: string;
  id: string;
  requester_id: string;
  principal_id: string;
  operator: boolean;
  role: string;
  project_id: string | null;
  environment_id: string | null;
  reason: string;
  duration_minutes: number;
  break_glass: boolean;
  status: AccessRequestStatus;
  decided_by: string | null;
  decided_at: Date | null;
  binding_id: string | null;
  expires_at: Date | null;
  created_at: Date;
}

export type RiskyWritesMode = 'disabled' | 'approval';

export interface OrganizationSettingsTable {
  tenant_id: string;
  risky_writes: RiskyWritesMode;
  updated_by: string | null;
  updated_at: Date;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

export interface RiskyWriteApprovalsTable {
  tenant_id: string;
  id: string;
  operation: string;
  /** Written as JSON text (the column is jsonb); read back as an object of strings. */
  params: ColumnType<Record<string, string>, string, string>;
  requested_by: string;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export interface AccessRequestsTables {
  access_requests: AccessRequestsTable;
  organization_settings: OrganizationSettingsTable;
  risky_write_approvals: RiskyWriteApprovalsTable;
}
