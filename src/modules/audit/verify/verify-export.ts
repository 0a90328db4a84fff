import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseVerifierKey } from '../log/index.ts';
import { parseExportLine, ExportFormatError } from '../export/export-reader.ts';
import type { ExportEventLine, ExportHeader } from '../export/export-format.ts';
import { createHashPool, type HashPool } from './hash-pool.ts';
import { createLogVerifier, type LogVerifier, type VerifyReport } from './log-verifier.ts';

const BATCH = 2000;

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
  // Checkpoints met while a batch is pending must be applied after that batch's events.
  let queued: { events: ExportEventLine[]; checkpoints: string[] }[] = [];
  let events = 0;

  async function flush(): Promise<void> {
    const work = queued;
    queued = [];
    const hashed = await Promise.all(work.map((w) => pool.hash(w.events.map((e) => e.canonical))));
    work.forEach((w, i) => {
      const results = hashed[i] ?? [];
      w.events.forEach((event, j) => {
        const result = results[j];
        verifier?.addEvent({ seq: event.seq, canonical: Buffer.from(event.canonical, 'utf8'), leafHash: Buffer.from(event.leaf_hash, 'base64'), ...(result === undefined ? {} : { hashed: result }) });
      });
      for (const note of w.checkpoints) verifier?.addCheckpoint(note);
      events += w.events.length;
    });
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
        if (batch.length >= BATCH) {
          queued.push({ events: batch, checkpoints: [] });
          batch = [];
          if (queued.length >= 8) await flush();
        }
      } else {
        queued.push({ events: batch, checkpoints: [line.note] });
        batch = [];
      }
    }
    queued.push({ events: batch, checkpoints: [] });
    await flush();
  } finally {
    await pool.close();
  }
  if (header === undefined || verifier === undefined) throw new ExportFormatError('the export has no header');
  return { ...verifier.finish(), header, trustedKey: options.verifierKey !== undefined };
}
