import { timingSafeEqual } from 'node:crypto';
import { appendLeaf, canonicalJson, decodeBase64, frontierRoot, leafHash, openNote, parseCheckpoint, type NoteVerifier } from '../log/index.ts';
import { RETENTION_MARKER } from '../retention-format.ts';
import { scanCanonicalEvent } from './scan-canonical-event.ts';

/** The kinds of damage verification reports, each tied to the first place it was seen. */
export type DamageKind =
  | 'event_altered' // the event's bytes no longer hash to its recorded leaf hash
  | 'event_not_canonical' // the bytes are not RFC 8785 canonical JSON (edited by hand)
  | 'seq_mismatch' // the event's own `seq` differs from its position
  | 'seq_gap' // an event is missing
  | 'seq_out_of_order' // events reordered or duplicated
  | 'wrong_tenant' // an event of another tenant's log
  | 'checkpoint_signature' // a checkpoint is not signed by the given key (replaced or forged)
  | 'checkpoint_origin' // a checkpoint of another log
  | 'root_mismatch' // the leaves up to a checkpoint do not hash to its signed root
  | 'checkpoint_out_of_order' // a checkpoint placed after events beyond its size (exports keep them in place)
  | 'retention_unproven' // the log starts after seq 0 without a signed retention checkpoint for that start
  | 'unsigned' // events no checkpoint signed by a trusted key covers (or no signed checkpoint at all)
  | 'truncated' // a signed checkpoint covers more events than the log holds
  | 'inconsistent'; // a checkpoint kept from before is not a prefix of the log (it shrank or forked)

export interface Damage {
  readonly kind: DamageKind;
  /** The first seq affected; for `root_mismatch` the damage lies in (`afterSeq`, `seq`]. */
  readonly seq: number;
  readonly afterSeq?: number;
  readonly detail: string;
}

/** The largest tree size a checkpoint signed by a trusted key was proven for, and that checkpoint. */
export interface ProvedCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  /** The tree's compact range (frontier) at `size`: with it a later verification resumes from here. */
  readonly frontier?: readonly Uint8Array[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpointsVerified: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The signed tree size this verification proved (every event below it), when one was. */
  readonly provedSize: number | undefined;
  readonly damage: readonly Damage[];
}

export interface EventRecord {
  readonly seq: number;
  readonly canonical: Uint8Array;
  /** The leaf hash the log recorded (from the database or the export). */
  readonly leafHash: Uint8Array;
  /** `hashEvent(canonical)`, when worker threads computed it; computed here otherwise. */
  readonly hashed?: HashedEvent;
}

export interface HashedEvent {
  readonly leafHash: Uint8Array;
  readonly canonicalOk: boolean;
  readonly seq: number | undefined;
  readonly tenantId: string | undefined;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

/** Recomputes an event's leaf hash and checks its bytes are canonical (the part workers can do). */
export function hashEvent(canonical: Uint8Array): HashedEvent {
  const scanned = scanCanonicalEvent(canonical);
  if (scanned !== undefined) return { leafHash: leafHash(canonical), canonicalOk: true, seq: scanned.seq, tenantId: scanned.tenantId };
  // Not confirmed by the single pass: decide by parsing and re-serializing (damaged or unusual bytes).
  let canonicalOk = false;
  let seq: number | undefined;
  let tenantId: string | undefined;
  try {
    const parsed = JSON.parse(Buffer.from(canonical).toString('utf8')) as { seq?: unknown; tenant_id?: unknown };
    canonicalOk = equal(canonicalJson(parsed), canonical);
    seq = typeof parsed.seq === 'number' ? parsed.seq : undefined;
    tenantId = typeof parsed.tenant_id === 'string' ? parsed.tenant_id : undefined;
  } catch {
    canonicalOk = false;
  }
  return { leafHash: leafHash(canonical), canonicalOk, seq, tenantId };
}

/**
 * Streaming verifier for one tenant's log (AUD-2). Feed checkpoints (any order) and then events
 * in seq order; it rehashes every leaf, checks seq continuity from the first retained seq,
 * recomputes the tree root at every checkpoint size from the recorded leaf hashes and checks the
 * checkpoint's Ed25519 signature. Consistency between successive checkpoints follows: all roots
 * are recomputed from the one leaf sequence. Needs only the events, checkpoints and public key.
 */
export function createLogVerifier(options: LogVerifierOptions) {
  const verifiers = options.verifiers ?? (options.verifier === undefined ? [] : [options.verifier]);
  const origins = new Set(options.origins ?? (options.origin === undefined ? verifiers.map((v) => `${v.name}/${options.tenantId}`) : [options.origin]));
  const damage: Damage[] = [];
  const pending = new Map<number, { root: Uint8Array; note: string }[]>();
  let proved: ProvedCheckpoint | undefined;
  /** The largest size a checkpoint with a valid signature covers, whether or not its root matched. */
  let signedSize: number | undefined;
  const resume = options.resumeFrom;
  let size = resume?.size ?? options.startSeq ?? 0;
  let frontier: Uint8Array[] = [...(resume?.frontier ?? options.startFrontier ?? [])];
  let events = 0;
  let checkpointsVerified = 0;
  let lastGoodSize = size;
  const firstSeq = size;
  // A log that starts after seq 0 must begin at a signed retention checkpoint, whose frontier lets
  // the remaining entries rebuild the same tree.
  let startProven = firstSeq === 0 || frontier.length > 0 || resume !== undefined;
  // Resuming from a checkpoint proved before (the caller checked its signature and frontier): it
  // counts as proved and signed, so a run with no new events is not "unsigned".
  if (resume !== undefined) {
    proved = { size: resume.size, root: resume.root, note: resume.note, frontier: [...resume.frontier] };
    signedSize = resume.size;
  }
  // Without a proven start the tree cannot be rebuilt; events are still checked one by one.
  let treeless = false;

  /** Adopts the frontier a retention checkpoint of exactly the starting size carries. */
  function adoptRetention(extensions: readonly string[], root: Uint8Array, note: string): void {
    const hashes = extensions.slice(1).map((line) => (line.startsWith('frontier ') ? decodeBase64(line.slice(9)) : undefined));
    if (hashes.some((h) => h === undefined) || events > 0) {
      report('checkpoint_signature', firstSeq, 'malformed retention checkpoint');
      return;
    }
    const adopted = hashes.filter((h): h is Uint8Array => h !== undefined);
    if (!equal(frontierRoot(adopted), root)) {
      report('root_mismatch', firstSeq, 'retention checkpoint frontier does not match its root');
      return;
    }
    frontier = adopted;
    startProven = true;
    if (proved === undefined) proved = { size: firstSeq, root, note, frontier: [...adopted] };
    signedSize = Math.max(signedSize ?? firstSeq, firstSeq);
  }

  function report(kind: DamageKind, seq: number, detail: string, afterSeq?: number): void {
    damage.push({ kind, seq, detail, ...(afterSeq === undefined ? {} : { afterSeq }) });
  }

  function checkAt(treeSize: number): void {
    if (treeless) return;
    const due = pending.get(treeSize);
    if (due === undefined) return;
    pending.delete(treeSize);
    const root = frontierRoot(frontier);
    signedSize = Math.max(signedSize ?? treeSize, treeSize);
    for (const checkpoint of due) {
      if (equal(root, checkpoint.root)) {
        checkpointsVerified++;
        lastGoodSize = treeSize;
        if (proved === undefined || proved.size < treeSize) proved = { size: treeSize, root, note: checkpoint.note, frontier: [...frontier] };
      } else {
        report('root_mismatch', treeSize - 1, `leaves up to seq ${treeSize - 1} do not match the checkpoint signed at size ${treeSize}`, lastGoodSize - 1);
      }
    }
  }

  return {
    addCheckpoint(note: string): void {
      let body: string;
      try {
        body = openNote(note, verifiers).body;
      } catch (error) {
        report('checkpoint_signature', -1, `checkpoint not signed by a trusted key (${verifiers.map((v) => v.name).join(', ')}): ${(error as Error).message}`);
        return;
      }
      const checkpoint = parseCheckpoint(body);
      if (!origins.has(checkpoint.origin)) {
        report('checkpoint_origin', -1, `checkpoint of ${checkpoint.origin}, expected ${[...origins].join(' or ')}`);
        return;
      }
      if (checkpoint.extensions[0] === RETENTION_MARKER && checkpoint.size === firstSeq && firstSeq > 0) {
        if (!startProven) adoptRetention(checkpoint.extensions, checkpoint.root, note);
        return;
      }
      if (checkpoint.size < firstSeq || (checkpoint.size === firstSeq && firstSeq > 0)) return; // before the retained range
      if (checkpoint.size < size) {
        report('checkpoint_out_of_order', checkpoint.size, `checkpoint of size ${checkpoint.size} appears after seq ${size - 1}`);
        return;
      }
      const list = pending.get(checkpoint.size) ?? [];
      list.push({ root: checkpoint.root, note });
      pending.set(checkpoint.size, list);
      if (checkpoint.size === size) checkAt(size);
    },

    addEvent(record: EventRecord): void {
      if (events === 0 && !startProven) {
        report('retention_unproven', firstSeq, `the log starts at seq ${firstSeq} without a signed retention checkpoint of that size`);
        treeless = true;
      }
      const expected = size;
      if (record.seq !== expected) {
        if (record.seq > expected) report('seq_gap', expected, `seq ${expected}${record.seq - expected > 1 ? `–${record.seq - 1}` : ''} missing`);
        else report('seq_out_of_order', record.seq, `seq ${record.seq} after ${expected - 1}`);
      }
      const hashed = record.hashed ?? hashEvent(record.canonical);
      if (!hashed.canonicalOk) report('event_not_canonical', record.seq, `event at seq ${record.seq} is not canonical JSON`);
      if (!equal(hashed.leafHash, record.leafHash)) report('event_altered', record.seq, `event at seq ${record.seq} does not match its leaf hash`);
      if (hashed.seq !== record.seq) report('seq_mismatch', record.seq, `event at position ${record.seq} says seq ${String(hashed.seq)}`);
      if (hashed.tenantId !== options.tenantId) report('wrong_tenant', record.seq, `event at seq ${record.seq} belongs to ${String(hashed.tenantId)}`);
      // The tree is built from the recorded leaf hashes, as the sequencer built it; altered bytes
      // are caught above, altered leaf hashes at the next checkpoint.
      if (!treeless) frontier = appendLeaf(frontier, size, record.leafHash).frontier;
      size++;
      events++;
      checkAt(size);
    },

    finish(): VerifyReport {
      for (const [treeSize] of [...pending.entries()].sort(([a], [b]) => a - b)) {
        if (treeSize > size && !treeless) report('truncated', size, `a checkpoint signed size ${treeSize} but the log ends at ${size}`);
        signedSize = Math.max(signedSize ?? treeSize, treeSize);
      }
      // AUD-2: a log is proven only as far as a checkpoint signed by a trusted key covers it.
      // Without this, stripping every checkpoint (or cutting an export between two) and
      // recomputing the leaf hashes would leave nothing to disagree with.
      // (A checkpoint whose root does not match is reported as such; it still marks how far the signed log reached.)
      if (!treeless && signedSize === undefined) report('unsigned', firstSeq, 'no checkpoint signed by a trusted key covers this log');
      else if (!treeless && signedSize !== undefined && signedSize < size) report('unsigned', signedSize, `seq ${signedSize}–${size - 1} are not covered by a checkpoint signed by a trusted key`);
      const sorted = [...damage].sort((a, b) => a.seq - b.seq);
      return { ok: damage.length === 0, events, checkpointsVerified, firstSeq, lastSeq: size - 1, provedSize: proved?.size, damage: sorted };
    },

    /** The largest checkpoint proven so far (after `finish`, the one the report's `provedSize` names). */
    proved: (): ProvedCheckpoint | undefined => proved,
  };
}

export interface LogVerifierOptions {
  /** The trusted keys; a checkpoint must carry a valid signature by one of them. */
  readonly verifiers?: readonly NoteVerifier[];
  readonly verifier?: NoteVerifier;
  /** Accepted checkpoint origins; by default `<key name>/<tenant id>` for each trusted key. */
  readonly origins?: readonly string[];
  readonly origin?: string;
  readonly tenantId: string;
  readonly startSeq?: number;
  readonly startFrontier?: readonly Uint8Array[];
  /**
   * Verify only what follows a checkpoint proved before (AUD-2 incremental verification): the log
   * is taken as proven up to `size`, whose compact range `frontier` the caller has checked against
   * the checkpoint's signed root; the tree is rebuilt from there, so each later checkpoint's root
   * also proves the new log extends the old one.
   */
  readonly resumeFrom?: { readonly size: number; readonly root: Uint8Array; readonly note: string; readonly frontier: readonly Uint8Array[] };
}

export type LogVerifier = ReturnType<typeof createLogVerifier>;
