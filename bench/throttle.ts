// Sign-in counters and per-IP limits in Redis against where they are kept without it (AUTH-6).
//
// 1. The throttle work of one failed sign-in (`check` then `fail`, a new account each time, 10 in
//    flight) with counters in Redis (one HMGET, one Lua script) against the same calls with the
//    PostgreSQL store (one select, one insert … on conflict; the server, PGlite when it is absent).
// 2. One per-IP limiter point (`consume`, 10 in flight) shared through Redis against the per-node
//    in-memory limiter.
// Alternating rounds, same process; no target (reported). Needs Redis at PARAPET_TEST_REDIS_URL.
import { randomBytes } from 'node:crypto';
import { createLoginThrottle, createPostgresThrottleStore, createRedisThrottleStore } from '../src/modules/identity/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { createIpRateLimiter } from '../src/platform/http/rate-limit.ts';
import { createLogger } from '../src/platform/log/logger.ts';
import { connectRedis } from '../src/platform/redis/connect-redis.ts';
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_URL } from '../test/support/redis.ts';
import { openBenchDatabase, postgresSkipReason } from './databases.ts';
import { formatRate, formatRatio, measureRounds, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 5, throttleOps: 2_000, limiterOps: 20_000, warmupOps: 500, concurrency: 10 };

export const throttle: Benchmark = {
  name: 'throttle',
  description: 'failed sign-in throttle work (check+fail) in Redis vs PostgreSQL; per-IP limit point in Redis vs memory',
  run: async (out) => {
    const skip = await redisSkipReason();
    if (skip !== false) return [{ measure: 'throttle in Redis vs PostgreSQL', value: 'skipped', target: '(none; reported)', met: undefined }];
    const kind = (await postgresSkipReason()) === false ? 'postgres' : 'pglite';
    const bench = await openBenchDatabase(kind, { poolSize: 10, tenants: 1, projectsPerTenant: 1 });
    const logger = createLogger('warn');
    const redis = await connectRedis({ url: TEST_REDIS_URL, logger, connectionName: 'parapet-bench-throttle' });
    const prefix = `parapet-bench:${randomBytes(4).toString('hex')}:`;
    try {
      out(`database: ${kind}; Redis: ${TEST_REDIS_URL}; concurrency ${SETTINGS.concurrency}`);
      const common = { clock: systemClock, key: randomBytes(32), threshold: 10, lockMinutes: 15 };
      const inPostgres = createLoginThrottle({ ...common, store: createPostgresThrottleStore(bench.transactor) });
      const inRedis = createLoginThrottle({ ...common, store: createRedisThrottleStore({ client: redis.client, keyPrefix: `${prefix}throttle:` }) });
      let accounts = 0;
      const failedSignIns = (subject: typeof inRedis) => (ops: number) =>
        runConcurrently(ops, SETTINGS.concurrency, async () => {
          const email = `bench-${String(accounts++)}@example.com`;
          await subject.check(email);
          await subject.fail(email);
        });
      const throttleRounds = await measureRounds({
        baseline: { label: `PostgreSQL (${kind})`, run: failedSignIns(inPostgres) },
        subjects: [{ label: 'Redis', run: failedSignIns(inRedis) }],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.throttleOps,
        warmupOps: SETTINGS.warmupOps,
        out,
      });

      const memory = createIpRateLimiter(1_000_000, 'bench');
      const shared = createIpRateLimiter(1_000_000, 'bench', { client: redis.client, keyPrefix: `${prefix}rate:`, logger });
      let addresses = 0;
      const points = (limiter: typeof memory) => (ops: number) => runConcurrently(ops, SETTINGS.concurrency, () => limiter.consume(`10.0.${String(addresses++ % 65_536)}`));
      const limiterRounds = await measureRounds({
        baseline: { label: 'memory', run: points(memory) },
        subjects: [{ label: 'Redis', run: points(shared) }],
        rounds: SETTINGS.rounds,
        ops: SETTINGS.limiterOps,
        warmupOps: SETTINGS.warmupOps,
        out,
      });

      const [redisThrottle] = throttleRounds.subjects;
      const [redisLimiter] = limiterRounds.subjects;
      if (redisThrottle === undefined || redisLimiter === undefined) throw new Error('no subject measured');
      for (const line of table(
        ['measure', 'median', 'baseline median', 'ratio (range)'],
        [
          ['failed sign-in throttle work, Redis / PostgreSQL', formatRate(redisThrottle.medianOpsPerSecond), formatRate(throttleRounds.baseline.medianOpsPerSecond), formatRatio(redisThrottle.ratios)],
          ['per-IP limit point, Redis / memory', formatRate(redisLimiter.medianOpsPerSecond), formatRate(limiterRounds.baseline.medianOpsPerSecond), formatRatio(redisLimiter.ratios)],
        ],
      ))
        out(line);
      const verdicts: Verdict[] = [
        { measure: `throttle check+fail, Redis / PostgreSQL (${kind})`, value: formatRatio(redisThrottle.ratios), target: '(none; reported)', met: undefined },
        { measure: 'per-IP limit point, Redis / memory', value: formatRatio(redisLimiter.ratios), target: '(none; reported)', met: undefined },
      ];
      return verdicts;
    } finally {
      await redis.close();
      await deleteRedisKeys(prefix);
      await bench.close();
    }
  },
};
