// Benchmark 1: a tenant-scoped point read through withTenant against the same query run bare.
//
// Subject: transactor.withTenant(tenant, tx => getProject(tx, tenant, id)) — a transaction that
// sets the role and the signed tenant context, checks current_user, and reads under row-level
// security. Baseline: getProject on a session that row-level security does not restrict, with no
// transaction and no context (see BenchDatabase.bare).
import type { Tx } from '../src/database.ts';
import { getProject } from '../src/modules/tenants/tenants-store.ts';
import { openBenchDatabase, postgresSkipReason, type BenchDatabase } from './databases.ts';
import { countPgRoundTrips, formatRate, formatRatio, measureRounds, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const PGLITE = { rounds: 5, ops: 2_000, warmupOps: 500, target: 0.6 };
// 20k reads per side per round; reads in flight and pool size match the app's default pool of 10.
const POSTGRES = { rounds: 3, ops: 20_000, warmupOps: 2_000, poolSize: 10, concurrency: 10, target: 0.7 };

/** `reads(n, concurrency)` for one way of reading the seeded target project. */
export type Reads = (n: number, concurrency: number) => Promise<void>;

export function bareReads(bench: BenchDatabase): Reads {
  const { tenantId, projectId } = bench.target;
  // getProject only builds a select; the bare builder stands in for a transaction here.
  const bare = bench.bare as unknown as Tx;
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      if ((await getProject(bare, tenantId, projectId)) === undefined) throw new Error('bare read found no row');
    });
}

export function withTenantReads(bench: BenchDatabase, transactor = bench.transactor): Reads {
  const { tenantId, projectId } = bench.target;
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      const row = await transactor.withTenant(tenantId, (tx) => getProject(tx, tenantId, projectId));
      if (row === undefined) throw new Error('withTenant read found no row');
    });
}

/** Round trips one read costs, counted over 100 reads (server only). */
export async function roundTripsPerRead(reads: Reads): Promise<number> {
  return (await countPgRoundTrips(() => reads(100, 1))) / 100;
}

async function compare(
  bench: BenchDatabase,
  settings: { rounds: number; ops: number; warmupOps: number; concurrency: number },
  out: (line: string) => void,
): Promise<number> {
  const bare = bareReads(bench);
  const scoped = withTenantReads(bench);
  const legacy = bench.kyselyDriverTransactor === undefined ? undefined : withTenantReads(bench, bench.kyselyDriverTransactor);
  const result = await measureRounds({
    baseline: { label: 'bare', run: (n) => bare(n, settings.concurrency) },
    subjects: [
      { label: 'withTenant', run: (n) => scoped(n, settings.concurrency) },
      ...(legacy === undefined ? [] : [{ label: 'withTenant, Kysely PGlite driver', run: (n: number) => legacy(n, settings.concurrency) }]),
    ],
    rounds: settings.rounds,
    ops: settings.ops,
    warmupOps: settings.warmupOps,
    out,
  });
  const subject = result.subjects[0]!;
  const bareLabel = bench.kind === 'pglite' ? 'bare, db.app (superuser session, RLS bypassed)' : 'bare, superuser pool (RLS bypassed)';
  for (const line of table(
    ['side', 'reads/s (median)', 'ratio to bare (median, range)'],
    [
      [bareLabel, formatRate(result.baseline.medianOpsPerSecond), '1'],
      ['withTenant', formatRate(subject.medianOpsPerSecond), formatRatio(subject.ratios)],
      ...result.subjects.slice(1).map((other) => [`${other.label} (the path before issue 16)`, formatRate(other.medianOpsPerSecond), formatRatio(other.ratios)]),
    ],
  )) out(line);
  return subject.medianRatio;
}

async function runPglite(out: (line: string) => void): Promise<Verdict> {
  out(`PGlite (in memory), one read at a time (PGlite runs one statement at a time), ${PGLITE.rounds} rounds x ${PGLITE.ops.toLocaleString('en-US')} reads per side`);
  out('calls into PGlite per read: bare 1 query() (6 protocol calls); withTenant 2 (BEGIN, context and read in one; COMMIT)');
  out('  before issue 16, through Kysely\'s PGlite driver: 4 query()/exec() (BEGIN, context, read, COMMIT; 16 protocol calls)');
  const bench = await openBenchDatabase('pglite');
  try {
    const ratio = await compare(bench, { ...PGLITE, concurrency: 1 }, out);
    return { measure: 'point read, PGlite: withTenant / bare', value: ratio.toFixed(2), target: `>= ${PGLITE.target}`, met: ratio >= PGLITE.target };
  } finally {
    await bench.close();
  }
}

async function runPostgres(out: (line: string) => void): Promise<Verdict> {
  const measure = `point read, PostgreSQL: withTenant / bare (${POSTGRES.concurrency} in flight)`;
  const skip = await postgresSkipReason();
  if (skip !== false) {
    out(`PostgreSQL: skipped: ${skip}`);
    return { measure, value: 'skipped', target: `>= ${POSTGRES.target}`, met: undefined };
  }
  const bench = await openBenchDatabase('postgres', { poolSize: POSTGRES.poolSize });
  try {
    out(
      `PostgreSQL server, pool of ${POSTGRES.poolSize}, ${POSTGRES.concurrency} reads in flight, ${POSTGRES.rounds} rounds x ${POSTGRES.ops.toLocaleString('en-US')} reads per side`,
    );
    out(`node-postgres Client.query calls per read (one per round trip): bare ${await roundTripsPerRead(bareReads(bench))}, withTenant ${await roundTripsPerRead(withTenantReads(bench))}`);
    out('round trips on the request path: bare 1, withTenant 1; statements on the server: bare 1, withTenant 2 (context and read as one implicit transaction with one Sync, no BEGIN/COMMIT; a read-only Sync goes behind the answer)');
    const ratio = await compare(bench, POSTGRES, out);
    return { measure, value: ratio.toFixed(2), target: `>= ${POSTGRES.target}`, met: ratio >= POSTGRES.target };
  } finally {
    await bench.close();
  }
}

export const pointRead: Benchmark = {
  name: 'point-read',
  description: 'tenant-scoped point read through withTenant vs the same query bare (PGlite, then PostgreSQL)',
  run: async (out) => [await runPglite(out), await runPostgres(out)],
};
