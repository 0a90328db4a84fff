import type { AppTransactor } from '../../../database.ts';
import * as store from '../audit-store.ts';
import type { NoteVerifier } from '../log/index.ts';
import { createHashPool } from './hash-pool.ts';
import { createLogVerifier, type HashedEvent, type ProvedCheckpoint, type VerifyReport } from './log-verifier.ts';

const PAGE = 5000;
/** Pages hashed at once while the next is read; bounds memory to about (IN_FLIGHT + 1) pages. */
const IN_FLIGHT = 2;

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
}

/**
 * Verifies a tenant's log as stored: every stored checkpoint (signature and root), every leaf
 * rehashed from its stored bytes, seq continuity from the first retained seq, and that a signed
 * checkpoint covers every event. Reads in pages, hashes on worker threads, and reads the next
 * page while the current ones hash.
 */
export async function verifyDatabaseLog(deps: { transactor: AppTransactor }, tenantId: string, options: VerifyDatabaseOptions): Promise<VerifyReport & { proved: ProvedCheckpoint | undefined }> {
  const { transactor } = deps;
  const snapshot = () =>
    transactor.withTenant(tenantId, async (tx) => [
      await store.checkpoints(tx, tenantId),
      await tx.selectFrom('audit_tree_heads').select(['first_seq', 'size']).where('tenant_id', '=', tenantId).executeTakeFirst(),
      await tx.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow(),
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
  const firstSeq = Number(head?.first_seq ?? 0);
  const verifier = createLogVerifier({ ...(options.verifiers === undefined ? {} : { verifiers: options.verifiers }), ...(options.verifier === undefined ? {} : { verifier: options.verifier }), ...(options.origin === undefined ? {} : { origin: options.origin }), tenantId, startSeq: firstSeq });
  for (const checkpoint of checkpoints) verifier.addCheckpoint(checkpoint.note);
  for (const note of options.knownCheckpoints ?? []) verifier.addCheckpoint(note);
  const total = Number(count.n);
  const pool = createHashPool(options.threads);
  const readPage = (from: number) =>
    transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['seq', 'canonical', 'leaf_hash']).where('tenant_id', '=', tenantId).where('seq', '>=', from).$if(Number.isFinite(limit), (q) => q.where('seq', '<', limit)).orderBy('seq').limit(PAGE).execute());
  // Pages being hashed, oldest first; their results are applied in order.
  const hashing: { rows: Awaited<ReturnType<typeof readPage>>; hashed: Promise<HashedEvent[]> }[] = [];
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
  let reading: Promise<Awaited<ReturnType<typeof readPage>>> | undefined;
  try {
    // Paging by seq would skip over a gap; page by position instead (seq order, from the last seq seen).
    // The next page is read while the current one is hashed, with at most IN_FLIGHT pages hashing.
    reading = readPage(firstSeq);
    for (;;) {
      const rows = await reading;
      reading = undefined;
      if (rows.length === 0) break;
      if (rows.length === PAGE) reading = readPage(Number(rows.at(-1)?.seq ?? 0) + 1);
      hashing.push({ rows, hashed: pool.hash(rows.map((row) => row.canonical)) });
      while (hashing.length > IN_FLIGHT) await applyOldest();
      if (reading === undefined) break;
    }
    while (hashing.length > 0) await applyOldest();
  } finally {
    // A read started before a failure must not end as an unhandled rejection.
    await reading?.catch(() => undefined);
    await pool.close();
  }
  return { ...verifier.finish(), proved: verifier.proved() };
}
