import type { AuditEvent, Outcome } from '../audit/index.ts';
import type { AuditCheckpointRow, AuditEventRow } from '../audit/index.ts';
import { toOcsf } from '../audit/index.ts';
import type { StreamFormat } from './streaming-tables.ts';

/** One sequenced event, in the destination's format (the canonical event, or its OCSF mapping). */
export interface EventRecord {
  readonly type: 'event';
  readonly seq: number;
  readonly action: string;
  readonly outcome: Outcome;
  readonly occurred_at: string;
  readonly event: Readonly<Record<string, unknown>>;
}

/** A signed checkpoint (C2SP signed note), sent in-stream after the events it covers. */
export interface CheckpointRecord {
  readonly type: 'checkpoint';
  readonly kind: 'regular' | 'retention';
  readonly size: number;
  readonly created_at: string;
  readonly note: string;
  readonly verifier_key: string;
}

/** What `POST …/destinations/{id}/test` sends. */
export interface TestRecord {
  readonly type: 'test';
  readonly sent_at: string;
}

export type StreamRecord = EventRecord | CheckpointRecord | TestRecord;

/** What one delivery attempt sends to one destination. */
export interface StreamBatch {
  readonly tenantId: string;
  readonly destinationId: string;
  readonly format: StreamFormat;
  /** Stable for the same range, so a retried batch carries the same `webhook-id`. */
  readonly id: string;
  readonly records: readonly StreamRecord[];
}

export function eventRecord(row: AuditEventRow, format: StreamFormat): EventRecord {
  const canonical = Buffer.from(row.canonical).toString('utf8');
  const parsed = JSON.parse(canonical) as AuditEvent;
  const event = format === 'ocsf' ? toOcsf({ type: 'event', seq: parsed.seq, leaf_hash: Buffer.from(row.leaf_hash).toString('base64'), canonical }) : (parsed as unknown as Record<string, unknown>);
  return { type: 'event', seq: parsed.seq, action: parsed.action, outcome: parsed.outcome, occurred_at: parsed.occurred_at, event };
}

export function checkpointRecord(row: AuditCheckpointRow, verifierKey: string): CheckpointRecord {
  return { type: 'checkpoint', kind: row.kind, size: Number(row.size), created_at: row.created_at.toISOString(), note: row.note, verifier_key: verifierKey };
}

/**
 * Events and checkpoints in stream order: each checkpoint of size `n` right after event `n - 1`,
 * so a receiver holds every event a checkpoint commits to before the checkpoint itself.
 */
export function interleave(events: readonly EventRecord[], checkpoints: readonly CheckpointRecord[]): StreamRecord[] {
  const out: StreamRecord[] = [];
  let c = 0;
  for (const event of events) {
    for (let next = checkpoints[c]; next !== undefined && next.size <= event.seq; next = checkpoints[++c]) out.push(next);
    out.push(event);
  }
  out.push(...checkpoints.slice(c));
  return out;
}

/** The JSON a record travels as: a webhook batch entry, and the syslog MSG. */
export function recordJson(record: StreamRecord): Readonly<Record<string, unknown>> {
  switch (record.type) {
    case 'event':
      return { type: 'event', seq: record.seq, event: record.event };
    case 'checkpoint':
      return { type: 'checkpoint', kind: record.kind, size: record.size, note: record.note, verifier_key: record.verifier_key };
    case 'test':
      return { type: 'test', sent_at: record.sent_at };
  }
}
