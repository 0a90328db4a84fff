import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';

/** One log's checkpoint as a verifier or witness last proved it. */
export interface StoredCheckpoint {
  readonly size: number;
  /** Root hash, base64. */
  readonly root: string;
  /** The signed note, verbatim. */
  readonly note: string;
  /** When it was proved (RFC 3339). */
  readonly at: string;
}

interface StoreFile {
  readonly format: 'parapet-checkpoint-store/1';
  readonly logs: Readonly<Record<string, StoredCheckpoint>>;
}

/** Reads a checkpoint store (one entry per log id); a missing file is an empty store. */
export function readCheckpointStore(path: string): Record<string, StoredCheckpoint> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const file = JSON.parse(text) as Partial<StoreFile>;
  if (file.format !== 'parapet-checkpoint-store/1' || typeof file.logs !== 'object') throw new Error(`${path} is not a Parapet checkpoint store`);
  return { ...file.logs };
}

/**
 * Writes a checkpoint store: a temporary file (mode 0600) synced and renamed over the old one, so
 * a crash leaves the old store or the new one, never half of one.
 */
export function writeCheckpointStore(path: string, logs: Readonly<Record<string, StoredCheckpoint>>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ format: 'parapet-checkpoint-store/1', logs } satisfies StoreFile, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
