export interface AuditInboxTable {
  tenant_id: string;
  id: string;
  event: unknown;
}

export interface AuditEventsTable {
  tenant_id: string;
  seq: string | number;
  id: string;
  occurred_at: Date;
  recorded_at: Date;
  action: string;
  actor_type: string;
  actor_id: string | null;
  outcome: string;
  ip: string | null;
  target_ids: string[];
  canonical: Uint8Array;
  leaf_hash: Uint8Array;
}

export interface AuditTreeNodesTable {
  tenant_id: string;
  level: number;
  index: string | number;
  hash: Uint8Array;
}

export interface AuditTreeHeadsTable {
  tenant_id: string;
  size: string | number;
  root: Uint8Array;
  frontier: Uint8Array[];
  first_seq: string | number;
  updated_at: Date;
}

export interface AuditCheckpointsTable {
  tenant_id: string;
  size: string | number;
  kind: 'regular' | 'retention';
  root: Uint8Array;
  note: string;
  key_id: string;
  created_at: Date;
}

export interface AuditSettingsTable {
  tenant_id: string;
  retention_days: number;
  updated_at: Date;
}

export interface AuditTables {
  audit_settings: AuditSettingsTable;
  audit_inbox: AuditInboxTable;
  audit_events: AuditEventsTable;
  audit_tree_nodes: AuditTreeNodesTable;
  audit_tree_heads: AuditTreeHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_log_keys: AuditLogKeysTable;
  audit_recording_losses: AuditRecordingLossesTable;
}

/** The names the deployment's log key signed under (migration 0025): written once, never changed. */
export interface AuditLogKeysTable {
  key_name: string;
  public_key: Uint8Array;
  current: boolean;
  added_at: Date;
}

/** Why buffered `api.request` records were not written (migration 0035). */
export type RecordingLossReason = 'buffer_full' | 'write_failed';

/** Durable counts of `api.request` records lost, per reason (migration 0035): they only grow. */
export interface AuditRecordingLossesTable {
  reason: RecordingLossReason;
  events: string | number;
  last_lost_at: Date;
}
