// Not run by default (`npm run bench -- point-read-variants`): the PostgreSQL point read of
// point-read.ts beside prototypes of a cheaper withTenant (issue 16 item 1), to see which change
// to src/platform/db/transactor.ts could meet the target. The prototypes are in this file only.
//
// - batch: the context (`enter_context`, a statement prepared once per connection) and the read go
//   as Parse/Bind/Describe/Execute messages with ONE Sync and no BEGIN/COMMIT: the statements before
//   a Sync run as one implicit transaction, to which set_config(…, true) and the context binding
//   (transaction_timestamp) belong. 1 round trip, 2 statements on the server instead of 4.
// - batch, read prepared: the same with the read also prepared once per connection (named).
// - floor: reads on connections that entered the context once in a transaction left open, so each
//   read pays only its own statement and the policies' per-statement context check. No design that
//   keeps a verified context on a connection can beat it; it is not a design (the transaction never ends).
// - bare, prepared: the superuser read, prepared once per connection (what preparing saves at all).
import pg from 'pg';
import { createContextSigner } from '../src/platform/db/index.ts';
import { createBoundContextSigner } from '../src/platform/db/context-key.ts';
import { BENCH_CONTEXT_KEY, openBenchDatabase, postgresSkipReason, type BenchDatabase } from './databases.ts';
import { bareReads, roundTripsPerRead, withTenantReads, type Reads } from './point-read.ts';
import { formatRate, formatRatio, measureRounds, median, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const MODES = [
  { concurrency: 10, rounds: 5, ops: 5_000, warmupOps: 1_000 },
  { concurrency: 1, rounds: 3, ops: 2_000, warmupOps: 500 },
] as const;
const POOL_SIZE = 10;
const TARGET = 0.7;
const ENTER_SQL = `select set_config('role', $1, true), parapet_private.enter_context($2, $3::int8, $4), current_user as role`;

interface Statement {
  readonly name?: string;
  readonly text: string;
  readonly values: readonly unknown[];
}

interface ProtocolConnection {
  parse(message: { text: string; name?: string; types: unknown[] }): void;
  bind(message: { portal: string; statement?: string; values: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string }): void;
  sync(): void;
  submittedNamedStatements: Record<string, string>;
  parsedStatements: Record<string, string>;
  stream: { cork?: () => void; uncork?: () => void };
}

const prepareValue = (pg as unknown as { utils?: { prepareValue: (value: unknown) => unknown } }).utils?.prepareValue ?? ((value: unknown) => value);

/** Several extended-protocol statements with one Sync: one implicit transaction, one ReadyForQuery. */
class BatchQuery extends (pg.Query as unknown as new (config: { text: string }) => object) {
  readonly #statements: readonly Statement[];
  constructor(statements: readonly Statement[], callback: (error: Error | null, results: pg.QueryResult | pg.QueryResult[]) => void) {
    super({ text: statements.map((s) => s.text).join('; ') });
    this.#statements = statements;
    (this as unknown as { callback: unknown }).callback = callback;
  }
  submit(connection: ProtocolConnection): Error | null {
    connection.stream.cork?.();
    try {
      for (const statement of this.#statements) {
        const name = statement.name;
        if (name === undefined || (connection.parsedStatements[name] === undefined && connection.submittedNamedStatements[name] === undefined)) {
          connection.parse({ text: statement.text, ...(name === undefined ? {} : { name }), types: [] });
          if (name !== undefined) connection.submittedNamedStatements[name] = statement.text;
        }
        connection.bind({ portal: '', ...(name === undefined ? {} : { statement: name }), values: statement.values, valueMapper: prepareValue });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }
}

function batch(client: pg.PoolClient, statements: readonly Statement[]): Promise<pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    void client.query(
      new BatchQuery(statements, (error, results) => {
        if (error !== null) reject(error);
        else resolve(Array.isArray(results) ? results : [results]);
      }) as unknown as pg.QueryConfig,
    );
  });
}

function batchReads(bench: BenchDatabase, pool: pg.Pool, prepareRead: boolean): Reads {
  const { tenantId, projectId } = bench.target;
  const bind = createBoundContextSigner(createContextSigner(BENCH_CONTEXT_KEY));
  const context = `${tenantId}|`;
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      const client = await pool.connect();
      try {
        const { expiresAt, mac } = bind(context, (client as unknown as { processID: number }).processID);
        // The same select getProject builds, compiled per read as getProject does.
        const compiled = bench.db.app.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', projectId).compile();
        const results = await batch(client, [
          { name: 'parapet_enter', text: ENTER_SQL, values: ['parapet_app', context, expiresAt, mac] },
          { ...(prepareRead ? { name: `r${compiled.sql.length}` } : {}), text: compiled.sql, values: compiled.parameters },
        ]);
        if ((results[0]?.rows[0] as { role?: unknown } | undefined)?.role !== 'parapet_app') throw new Error('batch read did not run as parapet_app');
        if (results[1]?.rows.length !== 1) throw new Error('batch read found no row');
      } finally {
        client.release();
      }
    });
}

/** What withTenant sends today (BEGIN, context, read pipelined; COMMIT behind), the context and read prepared. */
function pipelinedPreparedReads(bench: BenchDatabase, pool: pg.Pool): Reads {
  const { tenantId, projectId } = bench.target;
  const bind = createBoundContextSigner(createContextSigner(BENCH_CONTEXT_KEY));
  const context = `${tenantId}|`;
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      const client = await pool.connect();
      try {
        const { expiresAt, mac } = bind(context, (client as unknown as { processID: number }).processID);
        const compiled = bench.db.app.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', projectId).compile();
        const begin = client.query('begin');
        const entered = client.query({ name: 'parapet_enter', text: ENTER_SQL, values: ['parapet_app', context, expiresAt, mac] });
        const read = client.query({ name: `r${compiled.sql.length}`, text: compiled.sql, values: [...compiled.parameters] });
        const [, e, r] = await Promise.all([begin, entered, read]);
        if ((e.rows[0] as { role?: unknown } | undefined)?.role !== 'parapet_app') throw new Error('not parapet_app');
        if (r.rows.length !== 1) throw new Error('pipelined prepared read found no row');
        client.query('commit').catch(() => undefined);
      } finally {
        client.release();
      }
    });
}

/** Connections each in one open transaction with the context entered once. */
async function floorReads(bench: BenchDatabase, count: number): Promise<{ reads: Reads; close: () => Promise<void> }> {
  const { tenantId, projectId } = bench.target;
  const bind = createBoundContextSigner(createContextSigner(BENCH_CONTEXT_KEY));
  const clients: pg.Client[] = [];
  for (let i = 0; i < count; i++) {
    const client = new pg.Client({ connectionString: bench.appUrl! });
    await client.connect();
    const { expiresAt, mac } = bind(`${tenantId}|`, (client as unknown as { processID: number }).processID);
    await client.query('begin');
    await client.query(ENTER_SQL, ['parapet_app', `${tenantId}|`, expiresAt, mac]);
    clients.push(client);
  }
  const free = [...clients];
  return {
    reads: (n, concurrency) =>
      runConcurrently(n, concurrency, async () => {
        const client = free.pop()!;
        try {
          const compiled = bench.db.app.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', projectId).compile();
          const result = await client.query(compiled.sql, [...compiled.parameters]);
          if (result.rows.length !== 1) throw new Error('floor read found no row');
        } finally {
          free.push(client);
        }
      }),
    close: async () => {
      for (const client of clients) await client.end();
    },
  };
}

function barePreparedReads(bench: BenchDatabase, pool: pg.Pool): Reads {
  const { tenantId, projectId } = bench.target;
  return (n, concurrency) =>
    runConcurrently(n, concurrency, async () => {
      const compiled = bench.bare.selectFrom('projects').selectAll().where('tenant_id', '=', tenantId).where('id', '=', projectId).compile();
      const result = await pool.query({ name: 'bare_read', text: compiled.sql, values: [...compiled.parameters] });
      if (result.rows.length !== 1) throw new Error('bare prepared read found no row');
    });
}

export const pointReadVariants: Benchmark = {
  name: 'point-read-variants',
  description: 'PostgreSQL point read: withTenant and prototypes of a cheaper one vs bare',
  onlyWhenNamed: true,
  run: async (out) => {
    const skip = await postgresSkipReason();
    if (skip !== false) {
      out(`skipped: ${skip}`);
      return [{ measure: 'point read variants, PostgreSQL', value: 'skipped', target: `>= ${TARGET}`, met: undefined }];
    }
    const bench = await openBenchDatabase('postgres', { poolSize: POOL_SIZE });
    const pool = new pg.Pool({ connectionString: bench.appUrl!, max: POOL_SIZE, pipeline: true });
    const superuserPool = new pg.Pool({ connectionString: bench.appUrl!.replace(/\/\/[^@]*@/, '//postgres@'), max: POOL_SIZE });
    const floor = await floorReads(bench, POOL_SIZE);
    try {
      const sides: Record<string, Reads> = {
        bare: bareReads(bench),
        'bare, prepared': barePreparedReads(bench, superuserPool),
        withTenant: withTenantReads(bench),
        'pipelined (as withTenant), prepared': pipelinedPreparedReads(bench, pool),
        batch: batchReads(bench, pool, false),
        'batch, read prepared': batchReads(bench, pool, true),
        floor: floor.reads,
      };
      const trips: string[] = [];
      for (const [label, reads] of Object.entries(sides)) trips.push(`${label} ${await roundTripsPerRead(reads)}`);
      out(`pool of ${POOL_SIZE}; Client.query calls per read: ${trips.join(', ')}`);
      out('statements on the server per read: bare 1, withTenant 2 (context, read; one Sync: the batch design, through Kysely), pipelined 4 (BEGIN, context, read, COMMIT: withTenant before), batch 2, floor 1');
      const verdicts: Verdict[] = [];
      for (const mode of MODES) {
        out(`${mode.concurrency} in flight, ${mode.rounds} rounds x ${mode.ops.toLocaleString('en-US')} reads per side`);
        const labels = Object.keys(sides).filter((label) => label !== 'bare');
        const result = await measureRounds({
          baseline: { label: 'bare', run: (n) => sides['bare']!(n, mode.concurrency) },
          subjects: labels.map((label) => ({ label, run: (n: number) => sides[label]!(n, mode.concurrency) })),
          rounds: mode.rounds,
          ops: mode.ops,
          warmupOps: mode.warmupOps,
          out,
        });
        for (const line of table(
          ['side', 'reads/s (median)', 'ratio to bare (median, range)', 'Node CPU µs per read (median)'],
          [
            ['bare, superuser pool (RLS bypassed)', formatRate(result.baseline.medianOpsPerSecond), '1', median(result.baseline.cpuMicrosPerOp).toFixed(0)],
            ...result.subjects.map((s) => [s.label, formatRate(s.medianOpsPerSecond), formatRatio(s.ratios), median(s.cpuMicrosPerOp).toFixed(0)]),
          ],
        )) out(line);
        for (const s of result.subjects) {
          verdicts.push({ measure: `point read, PostgreSQL, ${s.label}, ${mode.concurrency} in flight`, value: s.medianRatio.toFixed(2), target: `>= ${TARGET}`, met: s.medianRatio >= TARGET });
        }
      }
      return verdicts;
    } finally {
      await floor.close();
      await superuserPool.end();
      await pool.end();
      await bench.close();
    }
  },
};
