import { ParapetError } from '../../../platform/errors.ts';
import type { ExportCheckpointLine, ExportEventLine, ExportHeader, ExportLine } from './export-format.ts';

export class ExportFormatError extends ParapetError {
  readonly code = 'export_format';
  override readonly name = 'ExportFormatError';
}

/** Parses one JSONL export line, refusing anything that is not one of the three record types. */
export function parseExportLine(text: string, lineNumber: number): ExportLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ExportFormatError(`line ${lineNumber}: not JSON`);
  }
  if (typeof value !== 'object' || value === null) throw new ExportFormatError(`line ${lineNumber}: not a record`);
  const record = value as Record<string, unknown>;
  const type = record['type'];
  if (type === 'event' && typeof record['seq'] === 'number' && typeof record['leaf_hash'] === 'string' && typeof record['canonical'] === 'string') return record as unknown as ExportEventLine;
  if (type === 'checkpoint' && typeof record['note'] === 'string') return record as unknown as ExportCheckpointLine;
  if (type === 'header' && typeof record['tenant_id'] === 'string' && typeof record['origin'] === 'string' && typeof record['verifier_key'] === 'string' && typeof record['first_seq'] === 'number') {
    return record as unknown as ExportHeader;
  }
  throw new ExportFormatError(`line ${lineNumber}: not a header, event or checkpoint record`);
}
