import type { AppTransactor } from '../../../database.ts';
import * as store from '../audit-store.ts';
import type { NoteVerifier } from '../log/index.ts';
import { createHashPool } from './hash-pool.ts';
import { createLogVerifier, type HashedEvent, type VerifyReport } from './log-verifier.ts';

const PAGE = 5000;
/** Pages hashed at once while the next is read; bounds memory to about (IN_FLIGHT + 1) pages. */
const IN_FLIGHT = 2;

/**
 * Verifies a tenant's log as stored: every stored checkpoint (signature and root), every leaf
 * rehashed from its stored bytes, seq continuity from the first retained seq. Reads in pages,
 * hashes on worker threads, and reads the next page while the current ones hash.
 */
export async function verifyDatabaseLog(deps: { transactor: AppTransactor }, tenantId: string, options: { verifier: NoteVerifier; origin: string; threads?: number; onProgress?: (events: number, total: number) => void; knownCheckpoints?: readonly string[] }): Promise<VerifyReport> {
  const { transactor } = deps;
  const [checkpoints, head, count] = await transactor.withTenant(tenantId, async (tx) => [
    await store.checkpoints(tx, tenantId),
    await tx.selectFrom('audit_tree_heads').select(['first_seq', 'size']).where('tenant_id', '=', tenantId).executeTakeFirst(),
    await tx.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow(),
  ] as const);
  const firstSeq = Number(head?.first_seq ?? 0);
  const verifier = createLogVerifier({ verifier: options.verifier, origin: options.origin, tenantId, startSeq: firstSeq });
  for (const checkpoint of checkpoints) verifier.addCheckpoint(checkpoint.note);
  for (const note of options.knownCheckpoints ?? []) verifier.addCheckpoint(note);
  const total = Number(count.n);
  const pool = createHashPool(options.threads);
  const readPage = (from: number) =>
    transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['seq', 'canonical', 'leaf_hash']).where('tenant_id', '=', tenantId).where('seq', '>=', from).orderBy('seq').limit(PAGE).execute());
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
  return verifier.finish();
}
