import type { AppTransactor } from '../../../database.ts';
import * as store from '../audit-store.ts';
import type { NoteVerifier } from '../log/index.ts';
import { createHashPool } from './hash-pool.ts';
import { createLogVerifier, type HashedEvent, type ProvedCheckpoint, type VerifyReport } from './log-verifier.ts';

const PAGE = 5000;
/** Pages hashed at once while the next are read; bounds memory to about (IN_FLIGHT + READS) pages. */
const IN_FLIGHT = 2;
/** Page reads in flight at once. */
const READS = 2;

export interface VerifyDatabaseOptions {
  /** The trusted keys (every key the log has used); or one `verifier`. */
  readonly verifiers?: readonly NoteVerifier[];
  readonly verifier?: NoteVerifier;
  readonly origin?: string;
  readonly threads?: number;
  readonly onProgress?: (events: number, total: number) => void;
  readonly knownCheckpoints?: readonly string[];
  /**
   * How long to wait for a running sequencer to sign a head it has not signed yet (it signs within
   * about a second); after that, the events past the newest checkpoint are reported `unsigned`.
   */
  readonly pendingWaitMs?: number;
  /** Events per page read (default 5,000; tests use small pages to cross many page boundaries). */
  readonly pageSize?: number;
  /**
   * Verify only the events after a checkpoint proved before (`LogVerifierOptions.resumeFrom`). Used
   * when it is still within the retained log; otherwise the whole log is verified (`resumed` false).
   */
  readonly resumeFrom?: { readonly size: number; readonly root: Uint8Array; readonly note: string; readonly frontier: readonly Uint8Array[] };
}

/**
 * Verifies a tenant's log as stored: every stored checkpoint (signature and root), every leaf
 * rehashed from its stored bytes, seq continuity from the first retained seq, and that a signed
 * checkpoint covers every event. Reads in pages, hashes on worker threads, and reads the next
 * page while the current ones hash.
 */
export async function verifyDatabaseLog(deps: { transactor: AppTransactor }, tenantId: string, options: VerifyDatabaseOptions): Promise<VerifyReport & { proved: ProvedCheckpoint | undefined; resumed: boolean }> {
  const { transactor } = deps;
  const snapshot = () =>
    transactor.withTenant(tenantId, async (tx) => [
      await store.checkpoints(tx, tenantId),
      await tx.selectFrom('audit_tree_heads').select(['first_seq', 'size']).where('tenant_id', '=', tenantId).executeTakeFirst(),
      await tx.selectFrom('audit_events').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max<string | number | null>('seq').as('last')]).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow(),
    ] as const);
  let [checkpoints, head, count] = await snapshot();
  const newest = () => Math.max(-1, ...checkpoints.filter((c) => c.kind === 'regular').map((c) => Number(c.size)));
  // A live log's newest events may be a second away from their checkpoint: wait for it.
  for (let waited = 0; head !== undefined && newest() < Number(head.size) && waited < (options.pendingWaitMs ?? 0); waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    [checkpoints, head, count] = await snapshot();
  }
  // Events appended after a checkpoint that covers the head we read are the next verification's.
  const covered = newest();
  const limit = head !== undefined && covered >= Number(head.size) ? covered : Number.POSITIVE_INFINITY;
  const retainedFrom = Number(head?.first_seq ?? 0);
  const resume = options.resumeFrom !== undefined && options.resumeFrom.size >= retainedFrom ? options.resumeFrom : undefined;
  if (resume !== undefined && Number(head?.size ?? 0) < resume.size) {
    // The log is shorter than it was when it was proved: entries were removed from its end.
    const damage = [{ kind: 'truncated' as const, seq: Number(head?.size ?? 0), detail: `the log shrank: size ${resume.size} was proved before, the log now holds ${Number(head?.size ?? 0)}` }];
    return { ok: false, events: 0, checkpointsVerified: 0, firstSeq: resume.size, lastSeq: resume.size - 1, provedSize: undefined, damage, proved: undefined, resumed: true };
  }
  const firstSeq = resume?.size ?? retainedFrom;
  const verifier = createLogVerifier({ ...(options.verifiers === undefined ? {} : { verifiers: options.verifiers }), ...(options.verifier === undefined ? {} : { verifier: options.verifier }), ...(options.origin === undefined ? {} : { origin: options.origin }), tenantId, startSeq: firstSeq, ...(resume === undefined ? {} : { resumeFrom: resume }) });
  // Resumed, the checkpoints at or below the proved size were verified before: only later ones are opened.
  for (const checkpoint of checkpoints) if (resume === undefined || Number(checkpoint.size) > resume.size) verifier.addCheckpoint(checkpoint.note);
  for (const note of options.knownCheckpoints ?? []) verifier.addCheckpoint(note);
  const total = Number(count.n);
  const pool = createHashPool(options.threads);
  // The rows are read by seq range, not by position: a range in a gap is simply empty, so nothing
  // is skipped, and the ranges are known in advance, so READS of them are read at once (each in
  // its own transaction, on its own connection) while earlier pages hash. Events appended after
  // the snapshot above are the next verification's.
  const end = Number.isFinite(limit) ? limit : count.last === null ? firstSeq : Number(count.last) + 1;
  const readRange = (from: number, to: number) =>
    transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['seq', 'canonical', 'leaf_hash']).where('tenant_id', '=', tenantId).where('seq', '>=', from).where('seq', '<', to).orderBy('seq').execute());
  type Rows = Awaited<ReturnType<typeof readRange>>;
  // Pages being hashed, oldest first; their results are applied in order.
  const hashing: { rows: Rows; hashed: Promise<HashedEvent[]> }[] = [];
  let seen = 0;
  const applyOldest = async () => {
    const page = hashing.shift();
    if (page === undefined) return;
    const hashed = await page.hashed;
    page.rows.forEach((row, i) => {
      const result = hashed[i];
      verifier.addEvent({ seq: Number(row.seq), canonical: row.canonical, leafHash: row.leaf_hash, ...(result === undefined ? {} : { hashed: result }) });
    });
    seen += page.rows.length;
    options.onProgress?.(seen, total);
  };
  // The first stored seq at or after `from` (or `end`): after an empty range, the reads jump over
  // the gap instead of walking it range by range (a row with a huge seq must not cost a scan per page).
  const nextStored = (from: number) =>
    transactor.withTenant(tenantId, async (tx) => {
      const row = await tx.selectFrom('audit_events').select((eb) => eb.fn.min<string | number | null>('seq').as('seq')).where('tenant_id', '=', tenantId).where('seq', '>=', from).where('seq', '<', end).executeTakeFirst();
      return row?.seq === null || row?.seq === undefined ? end : Number(row.seq);
    });
  const reads: Promise<Rows>[] = [];
  let nextFrom = firstSeq;
  const topUp = () => {
    while (reads.length < READS && nextFrom < end) {
      const from = nextFrom;
      nextFrom = Math.min(end, from + (options.pageSize ?? PAGE));
      const read = readRange(from, nextFrom);
      // Handled when awaited in turn; this keeps a failure while an earlier page is awaited from
      // counting as an unhandled rejection.
      read.catch(() => undefined);
      reads.push(read);
    }
  };
  try {
    topUp();
    for (;;) {
      const rows = await reads.shift();
      if (rows === undefined) break;
      if (rows.length > 0) {
        topUp();
        hashing.push({ rows, hashed: pool.hash(rows.map((row) => row.canonical)) });
      } else if (reads.length === 0) {
        nextFrom = Math.max(nextFrom, await nextStored(nextFrom));
        topUp();
      }
      while (hashing.length > IN_FLIGHT) await applyOldest();
    }
    while (hashing.length > 0) await applyOldest();
  } finally {
    // A read started before a failure must not end as an unhandled rejection.
    await Promise.all(reads.map((read) => read.catch(() => undefined)));
    await pool.close();
  }
  return { ...verifier.finish(), proved: verifier.proved(), resumed: resume !== undefined };
}
