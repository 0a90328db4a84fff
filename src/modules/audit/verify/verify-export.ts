import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { openNote, parseCheckpoint, parseVerifierKey, type NoteVerifier } from '../log/index.ts';
import { parseExportLine, ExportFormatError } from '../export/export-reader.ts';
import { EXPORT_CHECKPOINT_MARKER, type ExportEventLine, type ExportHeader } from '../export/export-format.ts';
import { createHashPool, type HashPool } from './hash-pool.ts';
import { createLogVerifier, type HashedEvent, type LogVerifier, type VerifyReport } from './log-verifier.ts';

const BATCH = 2000;
/** Batches hashing while the file is read on. */
const IN_FLIGHT = 8;

export interface VerifyExportOptions {
  /** The verifier key the customer trusts (`name+hash+key`); when absent, the export's own is used and reported. */
  readonly verifierKey?: string;
  /** More trusted verifier keys (the log's keys under other names, kept from before). */
  readonly verifierKeys?: readonly string[];
  readonly threads?: number;
  readonly onProgress?: (events: number) => void;
  /**
   * Checkpoints obtained earlier (a previous export, the SIEM stream): the log must still be
   * consistent with them, so deleting the newest events and re-signing nothing is caught.
   */
  readonly knownCheckpoints?: readonly string[];
}

/**
 * The keys checkpoints of an export may be signed with: the trusted ones, and the keys the header
 * lists under other names *for the same public keys* (the log's names before its identity was
 * fixed; a name is only a label, the public key is what is trusted). Without a trusted key, the
 * header's own keys (reported as such).
 */
export function exportVerifiers(header: ExportHeader, trusted: readonly string[]): NoteVerifier[] {
  const listed = [header.verifier_key, ...(header.verifier_keys ?? [])].map((key) => parseVerifierKey(key));
  if (trusted.length === 0) return uniqueVerifiers(listed);
  const keys = trusted.map((key) => parseVerifierKey(key));
  return uniqueVerifiers([...keys, ...listed.filter((v) => keys.some((k) => Buffer.from(k.publicKey).equals(v.publicKey)))]);
}

function uniqueVerifiers(verifiers: readonly NoteVerifier[]): NoteVerifier[] {
  const byId = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) byId.set(`${verifier.name}+${verifier.keyId}`, verifier);
  return [...byId.values()];
}

/**
 * Verifies a JSONL export offline with only the public key: signatures, every leaf, seq
 * continuity, the root at every checkpoint, that a signed checkpoint covers every event, and that
 * the export ends with the checkpoint signed when it was made (so a cut export fails). Hashing
 * runs on worker threads.
 */
export async function verifyExportFile(path: string, options: VerifyExportOptions = {}): Promise<VerifyReport & { header: ExportHeader; trustedKey: boolean; exportedAt: string | undefined }> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  const pool: HashPool = createHashPool(options.threads);
  let header: ExportHeader | undefined;
  let verifier: LogVerifier | undefined;
  let lineNumber = 0;
  let batch: ExportEventLine[] = [];
  // Batches being hashed, in file order; a batch's checkpoints are applied after its events.
  const hashing: { events: ExportEventLine[]; bytes: Buffer[]; checkpoints: string[]; hashed: Promise<HashedEvent[]> }[] = [];
  let events = 0;
  let verifiers: NoteVerifier[] = [];
  /** The export's closing checkpoint, when the last record seen is one: its size and time. */
  let closing: { size: number; exportedAt: string } | undefined;

  function submit(checkpoints: string[]): void {
    const bytes = batch.map((e) => Buffer.from(e.canonical, 'utf8'));
    hashing.push({ events: batch, bytes, checkpoints, hashed: pool.hash(bytes) });
    batch = [];
  }

  /** Applies the oldest batch once hashed; reading goes on meanwhile for up to IN_FLIGHT batches. */
  async function applyOldest(): Promise<void> {
    const work = hashing.shift();
    if (work === undefined) return;
    const results = await work.hashed;
    work.events.forEach((event, j) => {
      const result = results[j];
      verifier?.addEvent({ seq: event.seq, canonical: work.bytes[j] ?? Buffer.alloc(0), leafHash: Buffer.from(event.leaf_hash, 'base64'), ...(result === undefined ? {} : { hashed: result }) });
    });
    for (const note of work.checkpoints) verifier?.addCheckpoint(note);
    events += work.events.length;
    options.onProgress?.(events);
  }

  try {
    for await (const text of lines) {
      lineNumber++;
      if (text.trim() === '') continue;
      const line = parseExportLine(text, lineNumber);
      if (line.type === 'header') {
        if (header !== undefined) throw new ExportFormatError(`line ${lineNumber}: second header`);
        header = line;
        verifiers = exportVerifiers(line, [...(options.verifierKey === undefined ? [] : [options.verifierKey]), ...(options.verifierKeys ?? [])]);
        verifier = createLogVerifier({ verifiers, tenantId: line.tenant_id, startSeq: line.first_seq });
        for (const note of options.knownCheckpoints ?? []) verifier.addCheckpoint(note);
        continue;
      }
      if (verifier === undefined) throw new ExportFormatError(`line ${lineNumber}: records before the header`);
      closing = undefined;
      if (line.type === 'event') {
        batch.push(line);
        if (batch.length >= BATCH) submit([]);
      } else {
        submit([line.note]);
        closing = closingCheckpoint(line.note, verifiers);
      }
      while (hashing.length > IN_FLIGHT) await applyOldest();
    }
    submit([]);
    while (hashing.length > 0) await applyOldest();
  } finally {
    await pool.close();
  }
  if (header === undefined || verifier === undefined) throw new ExportFormatError('the export has no header');
  const report = verifier.finish();
  const end = report.lastSeq + 1;
  const damage = [...report.damage];
  // The export ends with the checkpoint signed when it was made, of the size it ends at.
  if (closing === undefined) damage.push({ kind: 'truncated', seq: end, detail: 'the export does not end with its signed export checkpoint: it was cut or stripped' });
  else if (closing.size !== end) damage.push({ kind: 'truncated', seq: Math.min(end, closing.size), detail: `the export checkpoint signed size ${closing.size} but the export ends at ${end}` });
  damage.sort((a, b) => a.seq - b.seq);
  const trustedKey = options.verifierKey !== undefined || (options.verifierKeys ?? []).length > 0;
  return { ...report, ok: damage.length === 0, damage, header, trustedKey, exportedAt: closing?.exportedAt };
}

/** The size and time of an export checkpoint signed by a trusted key; undefined for any other record. */
function closingCheckpoint(note: string, verifiers: readonly NoteVerifier[]): { size: number; exportedAt: string } | undefined {
  try {
    const checkpoint = parseCheckpoint(openNote(note, verifiers).body);
    const time = checkpoint.extensions[1];
    if (checkpoint.extensions[0] !== EXPORT_CHECKPOINT_MARKER || time?.startsWith('exported_at ') !== true) return undefined;
    return { size: checkpoint.size, exportedAt: time.slice('exported_at '.length) };
  } catch {
    return undefined; // reported by the log verifier
  }
}
