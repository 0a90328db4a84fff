/** Tables of the data lifecycle module (migration 0014). */
export interface RetentionSettingsTable {
  tenant_id: string;
  data_type: string;
  days: number;
  updated_by: string | null;
  updated_at: Date;
}

export interface OrganizationDeletionsTable {
  tenant_id: string;
  id: string;
  requested_by: string | null;
  requested_at: Date;
  purge_after: Date;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  notified_at: Date | null;
}

export interface UserDeletionsTable {
  user_id: string;
  requested_by: string | null;
  requested_at: Date;
  purge_after: Date;
  cancel_token_hash: Uint8Array;
  was_disabled: boolean;
}

export interface AccountTombstonesTable {
  user_id: string;
  email_hmac: Uint8Array;
  account_created_at: Date;
  deletion_requested_at: Date;
  deleted_at: Date;
}

export interface LifecycleTables {
  retention_settings: RetentionSettingsTable;
  organization_deletions: OrganizationDeletionsTable;
  user_deletions: UserDeletionsTable;
  account_tombstones: AccountTombstonesTable;
  lifecycle_runs: LifecycleRunsTable;
}

/** When each step of the lifecycle job last finished (migration 0075, DATA-1). */
export interface LifecycleRunsTable {
  job: 'retention' | 'deletions';
  finished_at: Date;
  removed: string | number;
}
