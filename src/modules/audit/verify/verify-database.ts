import type { AppTransactor } from '../../../database.ts';
import * as store from '../audit-store.ts';
import type { NoteVerifier } from '../log/index.ts';
import { createHashPool } from './hash-pool.ts';
import { createLogVerifier, type VerifyReport } from './log-verifier.ts';

const PAGE = 5000;

/**
 * Verifies a tenant's log as stored: every stored checkpoint (signature and root), every leaf
 * rehashed from its stored bytes, seq continuity from the first retained seq. Reads in pages,
 * hashes on worker threads.
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
  try {
    let next = firstSeq;
    let seen = 0;
    // Paging by seq would skip over a gap; page by position instead (seq order, offset by count).
    for (;;) {
      const rows = await transactor.withTenant(tenantId, (tx) =>
        tx.selectFrom('audit_events').select(['seq', 'canonical', 'leaf_hash']).where('tenant_id', '=', tenantId).where('seq', '>=', next).orderBy('seq').limit(PAGE).execute(),
      );
      if (rows.length === 0) break;
      const hashed = await pool.hash(rows.map((row) => Buffer.from(row.canonical).toString('utf8')));
      rows.forEach((row, i) => {
        const result = hashed[i];
        verifier.addEvent({ seq: Number(row.seq), canonical: row.canonical, leafHash: row.leaf_hash, ...(result === undefined ? {} : { hashed: result }) });
      });
      next = Number(rows.at(-1)?.seq ?? next) + 1;
      seen += rows.length;
      options.onProgress?.(seen, total);
    }
  } finally {
    await pool.close();
  }
  return verifier.finish();
}
