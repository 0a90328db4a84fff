import { csvLine } from '../../../platform/csv/csv-line.ts';
import type { AuditEvent } from '../audit-event.ts';

/** Export formats (AUD-4). JSONL is the verifiable one; CSV and OCSF carry the same proof material. */
export type ExportFormat = 'jsonl' | 'csv' | 'ocsf';

export const EXPORT_FORMAT_VERSION = 'parapet-audit-export/1';

/**
 * First extension line of the checkpoint an export ends with, signed when the export is made: a
 * verifier requires it last, so an export cut anywhere (even right after an earlier checkpoint)
 * is told apart from a complete one. The second line is `exported_at <RFC 3339 time>`.
 */
export const EXPORT_CHECKPOINT_MARKER = 'parapet-export/1';

/** First line of every export: what the log is and the key that verifies its checkpoints. */
export interface ExportHeader {
  readonly type: 'header';
  readonly format: typeof EXPORT_FORMAT_VERSION;
  readonly tenant_id: string;
  readonly origin: string;
  readonly verifier_key: string;
  /** Every verifier key the log has used (one public key under each name it was signed under). */
  readonly verifier_keys?: readonly string[];
  readonly exported_at: string;
  readonly first_seq: number;
}

/** One event: `canonical` is the RFC 8785 text whose SHA-256 leaf hash is `leaf_hash` (base64). */
export interface ExportEventLine {
  readonly type: 'event';
  readonly seq: number;
  readonly leaf_hash: string;
  readonly canonical: string;
}

export interface ExportCheckpointLine {
  readonly type: 'checkpoint';
  readonly kind: 'regular' | 'retention' | 'export';
  readonly note: string;
}

export type ExportLine = ExportHeader | ExportEventLine | ExportCheckpointLine;

const CSV_COLUMNS = ['record_type', 'seq', 'id', 'occurred_at', 'recorded_at', 'action', 'outcome', 'actor_type', 'actor_id', 'actor_name', 'ip', 'user_agent', 'request_id', 'targets', 'metadata', 'leaf_hash', 'canonical_or_note'] as const;

export function csvHeaderLine(): string {
  return csvLine(CSV_COLUMNS);
}

export function csvExportLine(line: ExportLine): string {
  let fields: (string | number | null)[];
  if (line.type === 'header') {
    fields = ['header', line.first_seq, line.tenant_id, line.exported_at, null, null, null, null, null, null, null, null, null, null, JSON.stringify({ format: line.format, origin: line.origin }), null, line.verifier_key];
  } else if (line.type === 'checkpoint') {
    fields = ['checkpoint', null, null, null, null, null, null, null, null, null, null, null, null, null, JSON.stringify({ kind: line.kind }), null, line.note];
  } else {
    const e = JSON.parse(line.canonical) as AuditEvent;
    fields = [
      'event', e.seq, e.id, e.occurred_at, e.recorded_at, e.action, e.outcome, e.actor.type, e.actor.id, e.actor.display_name, e.source.ip, e.source.user_agent, e.request_id,
      JSON.stringify(e.targets), JSON.stringify(e.metadata), line.leaf_hash, line.canonical,
    ];
  }
  return csvLine(fields);
}

const OCSF_CLASSES: Readonly<Record<string, { class_uid: number; class_name: string; category_uid: number; category_name: string }>> = {
  session: { class_uid: 3002, class_name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management' },
  setup: { class_uid: 3001, class_name: 'Account Change', category_uid: 3, category_name: 'Identity & Access Management' },
  authz: { class_uid: 3003, class_name: 'Authorize Session', category_uid: 3, category_name: 'Identity & Access Management' },
  api: { class_uid: 6003, class_name: 'API Activity', category_uid: 6, category_name: 'Application Activity' },
};
const OCSF_DEFAULT = { class_uid: 6003, class_name: 'API Activity', category_uid: 6, category_name: 'Application Activity' };

/** Maps an event to an OCSF 1.x object; the original canonical bytes and leaf hash ride along in `unmapped`. */
export function toOcsf(line: ExportEventLine): Record<string, unknown> {
  const e = JSON.parse(line.canonical) as AuditEvent;
  const klass = OCSF_CLASSES[e.action.split('.')[0] ?? ''] ?? OCSF_DEFAULT;
  const status = e.outcome === 'success' ? { status_id: 1, status: 'Success' } : { status_id: 2, status: 'Failure' };
  return {
    ...klass,
    activity_id: 99,
    activity_name: e.action,
    type_uid: klass.class_uid * 100 + 99,
    severity_id: e.outcome === 'success' ? 1 : 3,
    time: Date.parse(e.occurred_at),
    ...status,
    metadata: { version: '1.1.0', product: { name: 'Parapet', vendor_name: 'Parapet' }, uid: e.id, sequence: e.seq, logged_time: Date.parse(e.recorded_at), tenant_uid: e.tenant_id },
    actor: { user: { uid: e.actor.id, name: e.actor.display_name, type: e.actor.type } },
    src_endpoint: { ip: e.source.ip },
    http_request: { user_agent: e.source.user_agent, uid: e.request_id },
    resources: e.targets.map((t) => ({ type: t.type, uid: t.id, name: t.name })),
    unmapped: { parapet: { leaf_hash: line.leaf_hash, canonical: line.canonical, metadata: e.metadata } },
  };
}
