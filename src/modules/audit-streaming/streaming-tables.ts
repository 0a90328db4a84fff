import type { Transaction } from 'kysely';
import type { Tx } from '../../database.ts';

export type DestinationKind = 'syslog' | 'webhook';
export type StreamFormat = 'json' | 'ocsf';

export interface AuditDestinationsTable {
  tenant_id: string;
  id: string;
  kind: DestinationKind;
  format: StreamFormat;
  name: string;
  host: string | null;
  port: number | null;
  url: string | null;
  ca_pem: string | null;
  /** `createSealer(...).seal(secret, { table: 'audit_destinations', column: 'secret_sealed', … })`. */
  secret_sealed: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface AuditDeliveryCursorsTable {
  tenant_id: string;
  destination_id: string;
  next_seq: string | number;
  last_checkpoint_size: string | number;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_delivered_at: Date | null;
}

/** The tables of migration 0004, composed into `DB` by `src/database.ts`. */
export interface StreamingTables {
  audit_destinations: AuditDestinationsTable;
  audit_delivery_cursors: AuditDeliveryCursorsTable;
}

/**
 * The same transaction, typed for the streaming tables. Statements still run in the caller's
 * `withTenant` transaction (same role, tenant context and RLS); only the static type changes.
 * Once `DB` includes `StreamingTables`, callers can use `tx` directly.
 */
export function streamingTx(tx: Tx): Transaction<StreamingTables> {
  const same: unknown = tx;
  return same as Transaction<StreamingTables>;
}
