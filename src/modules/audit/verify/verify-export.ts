import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseVerifierKey } from '../log/index.ts';
import { parseExportLine, ExportFormatError } from '../export/export-reader.ts';
import type { ExportEventLine, ExportHeader } from '../export/export-format.ts';
import { createHashPool, type HashPool } from './hash-pool.ts';
import { createLogVerifier, type HashedEvent, type LogVerifier, type VerifyReport } from './log-verifier.ts';

const BATCH = 2000;
/** Batches hashing while the file is read on. */
const IN_FLIGHT = 8;

export interface VerifyExportOptions {
  /** The verifier key the customer trusts (`name+hash+key`); when absent, the export's own is used and reported. */
  readonly verifierKey?: string;
  readonly threads?: number;
  readonly onProgress?: (events: number) => void;
  /**
   * Checkpoints obtained earlier (a previous export, the SIEM stream): the log must still be
   * consistent with them, so deleting the newest events and re-signing nothing is caught.
   */
  readonly knownCheckpoints?: readonly string[];
}

/**
 * Verifies a JSONL export offline with only the public key: signatures, every leaf, seq
 * continuity, and the root at every checkpoint. Hashing runs on worker threads.
 */
export async function verifyExportFile(path: string, options: VerifyExportOptions = {}): Promise<VerifyReport & { header: ExportHeader; trustedKey: boolean }> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  const pool: HashPool = createHashPool(options.threads);
  let header: ExportHeader | undefined;
  let verifier: LogVerifier | undefined;
  let lineNumber = 0;
  let batch: ExportEventLine[] = [];
  // Batches being hashed, in file order; a batch's checkpoints are applied after its events.
  const hashing: { events: ExportEventLine[]; bytes: Buffer[]; checkpoints: string[]; hashed: Promise<HashedEvent[]> }[] = [];
  let events = 0;

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
        const key = parseVerifierKey(options.verifierKey ?? line.verifier_key);
        verifier = createLogVerifier({ verifier: key, origin: line.origin, tenantId: line.tenant_id, startSeq: line.first_seq });
        for (const note of options.knownCheckpoints ?? []) verifier.addCheckpoint(note);
        continue;
      }
      if (verifier === undefined) throw new ExportFormatError(`line ${lineNumber}: records before the header`);
      if (line.type === 'event') {
        batch.push(line);
        if (batch.length >= BATCH) submit([]);
      } else {
        submit([line.note]);
      }
      while (hashing.length > IN_FLIGHT) await applyOldest();
    }
    submit([]);
    while (hashing.length > 0) await applyOldest();
  } finally {
    await pool.close();
  }
  if (header === undefined || verifier === undefined) throw new ExportFormatError('the export has no header');
  return { ...verifier.finish(), header, trustedKey: options.verifierKey !== undefined };
}
