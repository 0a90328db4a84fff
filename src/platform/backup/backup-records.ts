import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { BackupFormatError } from './backup-format.ts';

/**
 * The logical content of a backup (docs/operations.md "Backup format"): gzip-compressed JSON
 * lines. Control records are JSON arrays, rows are JSON objects:
 *
 *   ["table", {"name", "columns", "primary_key", "order_c_collated"}]   starts a table, in foreign-key order
 *   {"id": …, …}   one row: PostgreSQL's to_json(row), ordered by primary key (text columns COLLATE "C")
 *   ["manifest", {"tables": [{"name", "rows", "sha256"}]}]   last line
 *
 * A table's sha256 is over its row lines, each followed by "\n", exactly as stored. Rows are
 * PostgreSQL's own JSON rendering with TimeZone UTC (timestamps ISO 8601, bytea as "\\x…" hex,
 * jsonb as JSON), so `json_populate_recordset` loads them into PGlite or PostgreSQL alike.
 * Encrypted columns are copied as stored (their `pk1.` envelope); see backup-create.ts for the
 * one column that changes form (`tenant_keys.wrapped`).
 */
export interface TableMeta {
  readonly name: string;
  readonly columns: readonly string[];
  readonly primary_key: readonly string[];
  /** Primary-key columns with a collation: rows are ordered by them with COLLATE "C". */
  readonly order_c_collated?: readonly string[];
  /** Generated columns: computed by the database again on restore, never inserted. */
  readonly generated?: readonly string[];
}

export interface ManifestEntry {
  readonly name: string;
  readonly rows: number;
  readonly sha256: string;
}

export const tableRecord = (table: TableMeta): string => JSON.stringify(['table', table]);
export const manifestRecord = (tables: readonly ManifestEntry[]): string => JSON.stringify(['manifest', { tables }]);

/** Running count and SHA-256 of one table's row lines. */
export function tableDigest(name: string): { add(line: string): void; done(): ManifestEntry } {
  const hash = createHash('sha256');
  let rows = 0;
  return {
    add: (line) => {
      hash.update(line, 'utf8').update('\n');
      rows += 1;
    },
    done: () => ({ name, rows, sha256: hash.digest('hex') }),
  };
}

/** Gunzips the frames' plaintext and splits it into lines. */
async function* lines(frames: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const gunzip = createGunzip();
  const source = Readable.from(frames);
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      yield* parts;
    }
  } catch (error) {
    if (error instanceof BackupFormatError) throw error;
    throw new BackupFormatError(`backup content does not decompress: ${(error as Error).message}`);
  } finally {
    source.destroy();
  }
  if (rest + decoder.end() !== '') throw new BackupFormatError('backup content ends inside a line');
}

function control(line: string): ['table', TableMeta] | ['manifest', { tables: ManifestEntry[] }] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new BackupFormatError('backup content holds a line that is not JSON');
  }
  if (Array.isArray(parsed) && parsed[0] === 'table' && typeof (parsed[1] as TableMeta | undefined)?.name === 'string') return parsed as ['table', TableMeta];
  if (Array.isArray(parsed) && parsed[0] === 'manifest' && Array.isArray((parsed[1] as { tables?: unknown } | undefined)?.tables)) return parsed as ['manifest', { tables: ManifestEntry[] }];
  throw new BackupFormatError('backup content holds an unknown control record');
}

export interface BackupVisitor {
  /** A table starts (before its rows). */
  table?(table: TableMeta): Promise<void>;
  /** A batch of one table's row lines, in order. */
  rows?(table: TableMeta, batch: readonly string[]): Promise<void>;
}

const BATCH_ROWS = 500;
const BATCH_CHARS = 4 * 1024 * 1024;

/**
 * Reads every record, hands tables and row batches to `visitor`, and checks the manifest: the
 * same tables in the same order, each with its row count and SHA-256. Throws
 * `BackupFormatError` on any difference. Returns the manifest.
 */
export async function walkBackup(frames: AsyncIterable<Buffer>, visitor: BackupVisitor = {}): Promise<readonly ManifestEntry[]> {
  const seen: ManifestEntry[] = [];
  let current: { table: TableMeta; digest: ReturnType<typeof tableDigest>; batch: string[]; chars: number } | undefined;
  let manifest: ManifestEntry[] | undefined;
  const flush = async () => {
    if (current === undefined || current.batch.length === 0) return;
    const batch = current.batch;
    current.batch = [];
    current.chars = 0;
    await visitor.rows?.(current.table, batch);
  };
  const finishTable = async () => {
    if (current === undefined) return;
    await flush();
    seen.push(current.digest.done());
    current = undefined;
  };
  for await (const line of lines(frames)) {
    if (manifest !== undefined) throw new BackupFormatError('backup content continues after its manifest');
    if (line.startsWith('{')) {
      if (current === undefined) throw new BackupFormatError('backup content holds a row outside any table');
      current.digest.add(line);
      current.batch.push(line);
      current.chars += line.length;
      if (current.batch.length >= BATCH_ROWS || current.chars >= BATCH_CHARS) await flush();
      continue;
    }
    const record = control(line);
    await finishTable();
    if (record[0] === 'table') {
      const table = record[1];
      if (seen.some((t) => t.name === table.name)) throw new BackupFormatError(`backup content holds table ${table.name} twice`);
      await visitor.table?.(table);
      current = { table, digest: tableDigest(table.name), batch: [], chars: 0 };
    } else {
      manifest = record[1].tables;
    }
  }
  if (manifest === undefined) throw new BackupFormatError('backup content has no manifest (incomplete backup)');
  if (manifest.length !== seen.length) throw new BackupFormatError(`manifest lists ${manifest.length} tables, the backup holds ${seen.length}`);
  manifest.forEach((expected, i) => {
    const actual = seen[i];
    if (actual === undefined || actual.name !== expected.name) throw new BackupFormatError(`manifest table ${i + 1} is ${expected.name}, the backup holds ${actual?.name ?? 'nothing'} there`);
    if (actual.rows !== expected.rows) throw new BackupFormatError(`table ${expected.name}: ${actual.rows} rows, manifest says ${expected.rows}`);
    if (actual.sha256 !== expected.sha256) throw new BackupFormatError(`table ${expected.name}: SHA-256 differs from the manifest`);
  });
  return manifest;
}
