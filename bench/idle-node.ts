// Benchmark: what an idle node costs the database (issue 16: "statements per idle node per second").
//
// One app on the PostgreSQL server with every background job running (the audit sequencer and
// delivery loops, key maintenance, lifecycle, and the modules' timers), no requests. After a
// warm-up, statements sent by the process are counted with a driver counter (every pg.Client query:
// the pool, the leader-lock sessions; LISTEN sessions send nothing while idle) over several windows,
// next to the server's own count of committed transactions in the database (pg_stat_database).
// pg_stat_statements is not loaded on these machines, hence the driver counter.
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { createPasswordHasher } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom } from '../src/platform/crypto/random.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { BENCH_KEYRING, openBenchDatabase, postgresSkipReason } from './databases.ts';
import { countPgRoundTrips, median, table, type Benchmark } from './support.ts';

const SETTINGS = { warmupMs: 3_000, windowMs: 10_000, windows: 3 };
const TARGET = 1;

export const idleNode: Benchmark = {
  name: 'idle-node',
  description: 'statements per second an idle node sends to PostgreSQL (all background jobs running, no requests)',
  onlyWhenNamed: true,
  run: async (out) => {
    const skip = await postgresSkipReason();
    if (skip !== false) {
      out(`skipped: ${skip}`);
      return [{ measure: 'statements per idle node per second', value: 'skipped', target: `<= ${TARGET}`, met: undefined }];
    }
    const bench = await openBenchDatabase('postgres', { tenants: 2, projectsPerTenant: 2 });
    const config = loadConfig({ env: { PARAPET_LOG_LEVEL: 'warn' } });
    const logger = createLogger(config.logLevel);
    const app = await buildApp({ config, logger, db: bench.db, transactor: bench.transactor, hasher: await createPasswordHasher(), clock: systemClock, random: systemRandom, keyring: BENCH_KEYRING });
    const stops = app.jobs.map((job) => job.start());
    const transactions = async () => Number((await sql<{ n: string }>`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`.execute(bench.bare)).rows[0]?.n ?? 0);
    try {
      await new Promise((resolve) => setTimeout(resolve, SETTINGS.warmupMs));
      const rows: string[][] = [];
      const perSecond: number[] = [];
      for (let w = 0; w < SETTINGS.windows; w++) {
        const before = await transactions();
        const statements = await countPgRoundTrips(() => new Promise((resolve) => setTimeout(resolve, SETTINGS.windowMs)));
        // The two statements of the pg_stat_database reads themselves are one transaction each.
        const committed = (await transactions()) - before - 1;
        const rate = statements / (SETTINGS.windowMs / 1000);
        perSecond.push(rate);
        rows.push([String(w + 1), String(statements), rate.toFixed(2), (committed / (SETTINGS.windowMs / 1000)).toFixed(2)]);
      }
      for (const line of table(['window (10 s)', 'statements sent', 'statements/s', 'server transactions/s'], rows)) out(line);
      return [{ measure: 'statements per idle node per second (PostgreSQL, driver count)', value: median(perSecond).toFixed(2), target: `<= ${TARGET}`, met: median(perSecond) <= TARGET }];
    } finally {
      for (const stop of stops) await stop();
      await app.http.close();
      await bench.close();
    }
  },
};
