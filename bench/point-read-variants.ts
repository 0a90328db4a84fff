// Not run by default (`npm run bench -- point-read-variants`): the PostgreSQL point read of
// point-read.ts beside two prototypes of a cheaper withTenant, to see which change to
// src/platform/db/transactor.ts could meet the target. Neither prototype is in src/.
//
// - folded: BEGIN, the three settings and the role check in one simple-protocol message, then the
//   query, then COMMIT: 3 round trips instead of 4.
// - single: the settings and the query in one simple-protocol message and no BEGIN/COMMIT: the
//   statements of one message run as one implicit transaction, to which set_config(..., true)
//   is local. 1 round trip. The query's parameters are inlined as literals, which is only
//   acceptable here because they are strings checked as UUIDs.
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { DB, Tx } from '../src/database.ts';
import { getProject } from '../src/modules/tenants/tenants-store.ts';
import { createContextSigner, type ContextSigner } from '../src/platform/db/index.ts';
import { BENCH_CONTEXT_KEY, openBenchDatabase, postgresSkipReason, type BenchDatabase } from './databases.ts';
import { bareReads, roundTripsPerRead, withTenantReads, type Reads } from './point-read.ts';
import { formatRate, formatRatio, measureRounds, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const MODES = [
  { concurrency: 10, rounds: 3, ops: 5_000, warmupOps: 1_000 },
  { concurrency: 1, rounds: 3, ops: 2_000, warmupOps: 500 },
] as const;
const POOL_SIZE = 10;
const TARGET = 0.7;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The three settings withTenant makes, plus a role check that raises in the same statement. */
function contextStatement(signer: ContextSigner, tenantId: string): string {
  if (!UUID.test(tenantId)) throw new Error('not a canonical UUID');
  const context = `${tenantId}|`;
  const mac = signer.sign(context);
  // The rows of a multi-statement message do not come back through Kysely, so a wrong role must
  // raise inside the statement; the message is built from current_user so the planner cannot
  // fold the cast and raise it before the settings run.
  return (
    `select set_config('role', 'parapet_app', true), set_config('parapet.context', '${context}', true), ` +
    `set_config('parapet.context_mac', '${mac}', true), ` +
    `case when current_user = 'parapet_app' then 0 else cast('transaction runs as ' || current_user as integer) end as checked`
  );
}

function foldedReads(bench: BenchDatabase): Reads {
  const { tenantId, projectId } = bench.target;
  const signer = createContextSigner(BENCH_CONTEXT_KEY);
  const db: Kysely<DB> = bench.db.app;
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      const row = await db.connection().execute(async (connection) => {
        await sql.raw(`begin; ${contextStatement(signer, tenantId)}`).execute(connection);
        try {
          const found = await getProject(connection as unknown as Tx, tenantId, projectId);
          await sql.raw('commit').execute(connection);
          return found;
        } catch (error) {
          await sql.raw('rollback').execute(connection);
          throw error;
        }
      });
      if (row === undefined) throw new Error('folded read found no row');
    });
}

function literal(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new Error('this prototype inlines only UUIDs');
  return `'${value}'`;
}

function singleReads(bench: BenchDatabase, pool: pg.Pool): Reads {
  const { tenantId, projectId } = bench.target;
  const signer = createContextSigner(BENCH_CONTEXT_KEY);
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      // The same select getProject builds, compiled per read as getProject does.
      const compiled = bench.db.app.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', projectId).compile();
      const query = compiled.sql.replace(/\$(\d+)/g, (_match, index: string) => literal(compiled.parameters[Number(index) - 1]));
      const results = (await pool.query(`${contextStatement(signer, tenantId)}; ${query}`)) as unknown as pg.QueryResult[];
      if (results[1]?.rows.length !== 1) throw new Error('single-trip read found no row');
    });
}

export const pointReadVariants: Benchmark = {
  name: 'point-read-variants',
  description: 'PostgreSQL point read: withTenant and two prototypes of a cheaper one vs bare',
  onlyWhenNamed: true,
  run: async (out) => {
    const skip = await postgresSkipReason();
    if (skip !== false) {
      out(`skipped: ${skip}`);
      return [{ measure: 'point read variants, PostgreSQL', value: 'skipped', target: `>= ${TARGET}`, met: undefined }];
    }
    const bench = await openBenchDatabase('postgres', { poolSize: POOL_SIZE });
    const pool = new pg.Pool({ connectionString: bench.appUrl!, max: POOL_SIZE });
    try {
      const sides = { bare: bareReads(bench), withTenant: withTenantReads(bench), folded: foldedReads(bench), single: singleReads(bench, pool) };
      const trips: string[] = [];
      for (const [label, reads] of Object.entries(sides)) trips.push(`${label} ${await roundTripsPerRead(reads)}`);
      out(`pool of ${POOL_SIZE}; round trips per read: ${trips.join(', ')}`);
      const verdicts: Verdict[] = [];
      for (const mode of MODES) {
        out(`${mode.concurrency} in flight, ${mode.rounds} rounds x ${mode.ops.toLocaleString('en-US')} reads per side`);
        const result = await measureRounds({
          baseline: { label: 'bare', run: (n) => sides.bare(n, mode.concurrency) },
          subjects: (['withTenant', 'folded', 'single'] as const).map((label) => ({ label, run: (n: number) => sides[label](n, mode.concurrency) })),
          rounds: mode.rounds,
          ops: mode.ops,
          warmupOps: mode.warmupOps,
          out,
        });
        const names = ['withTenant (src, 4 round trips)', 'folded prototype (3 round trips)', 'single prototype (1 round trip)'];
        for (const line of table(
          ['side', 'reads/s (median)', 'ratio to bare (median, range)'],
          [
            ['bare, superuser pool (RLS bypassed)', formatRate(result.baseline.medianOpsPerSecond), '1'],
            ...result.subjects.map((s, i) => [names[i]!, formatRate(s.medianOpsPerSecond), formatRatio(s.ratios)]),
          ],
        )) out(line);
        result.subjects.forEach((s, i) => {
          verdicts.push({ measure: `point read, PostgreSQL, ${names[i]!}, ${mode.concurrency} in flight`, value: s.medianRatio.toFixed(2), target: `>= ${TARGET}`, met: s.medianRatio >= TARGET });
        });
      }
      return verdicts;
    } finally {
      await pool.end();
      await bench.close();
    }
  },
};
