import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { AuditSigner } from '../audit-signer.ts';
import * as store from '../audit-store.ts';
import { emptyRoot, formatCheckpoint, signNote } from '../log/index.ts';
import { csvExportLine, csvHeaderLine, EXPORT_CHECKPOINT_MARKER, EXPORT_FORMAT_VERSION, toOcsf, type ExportFormat, type ExportLine } from './export-format.ts';

const PAGE = 1000;

/**
 * Streams a tenant's log up to its head when the export starts, page by page (never the whole log
 * in memory): a header with every verifier key the log has used, then events in seq order with
 * each stored checkpoint placed right after the event that completes its size, and last a
 * checkpoint of the head signed now, marked as the export's end (`EXPORT_CHECKPOINT_MARKER`).
 * Every event is covered by a signed checkpoint, and an export cut anywhere lacks its end (AUD-2).
 */
export async function* exportLines(deps: { transactor: AppTransactor; signer: AuditSigner; clock: Clock }, tenantId: string): AsyncGenerator<ExportLine> {
  const { transactor, signer } = deps;
  const [checkpoints, head] = await transactor.withTenant(tenantId, async (tx) => [
    await store.checkpoints(tx, tenantId),
    await tx.selectFrom('audit_tree_heads').select(['first_seq', 'size', 'root']).where('tenant_id', '=', tenantId).executeTakeFirst(),
  ] as const);
  const firstSeq = Number(head?.first_seq ?? 0);
  // The head as the sequencer committed it; events below it never change (append-only).
  const end = Number(head?.size ?? 0);
  const endRoot = head?.root ?? emptyRoot();
  const exportedAt = deps.clock.now().toISOString();
  yield {
    type: 'header',
    format: EXPORT_FORMAT_VERSION,
    tenant_id: tenantId,
    origin: signer.origin(tenantId),
    verifier_key: signer.verifierKey,
    verifier_keys: signer.verifierKeys,
    exported_at: exportedAt,
    first_seq: firstSeq,
  };
  const bySize = new Map<number, typeof checkpoints>();
  for (const checkpoint of checkpoints) {
    const size = Number(checkpoint.size);
    if (size <= firstSeq) {
      yield { type: 'checkpoint', kind: checkpoint.kind, note: checkpoint.note };
      continue;
    }
    if (size > end) continue; // signed after the head was read
    bySize.set(size, [...(bySize.get(size) ?? []), checkpoint]);
  }
  let next = firstSeq;
  while (next < end) {
    const rows = await transactor.withTenant(tenantId, (tx) => store.eventsFrom(tx, tenantId, next, Math.min(PAGE, end - next)));
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      yield { type: 'event', seq, leaf_hash: Buffer.from(row.leaf_hash).toString('base64'), canonical: Buffer.from(row.canonical).toString('utf8') };
      for (const checkpoint of bySize.get(seq + 1) ?? []) yield { type: 'checkpoint', kind: checkpoint.kind, note: checkpoint.note };
      next = seq + 1;
    }
  }
  const body = formatCheckpoint({ origin: signer.origin(tenantId), size: end, root: endRoot, extensions: [EXPORT_CHECKPOINT_MARKER, `exported_at ${exportedAt}`] });
  yield { type: 'checkpoint', kind: 'export', note: signNote(body, signer.signer) };
}

/** Renders export lines in a format, one chunk per line. */
export async function* renderExport(lines: AsyncIterable<ExportLine>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeaderLine();
  for await (const line of lines) {
    if (format === 'jsonl') yield `${JSON.stringify(line)}\n`;
    else if (format === 'csv') yield csvExportLine(line);
    else yield `${JSON.stringify(line.type === 'event' ? toOcsf(line) : line)}\n`;
  }
}
