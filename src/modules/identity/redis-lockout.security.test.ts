import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { lockoutCases, login } from '../../../test/support/lockout.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_PREFIX, TEST_REDIS_URL } from '../../../test/support/redis.ts';
import { manualClock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.ts';
import { createRedisThrottleStore } from './redis-throttle-store.ts';

const skip = await redisSkipReason();

/** Resolves with the AppError a promise rejects with (fails when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => assert.fail('expected a refusal'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
  return error;
}

describe('brute-force protection per account, counters in Redis (AUTH-6)', { skip }, () => {
  // Two nodes with separate databases: only Redis connects them.
  const nodes = lockoutCases({ env: { PARAPET_REDIS_URL: TEST_REDIS_URL }, ownDatabases: true });
  after(async () => {
    await deleteRedisKeys(TEST_REDIS_PREFIX);
  });

  it('AUTH-6: counters are kept in Redis under an HMAC (no address), expire on their own, and only locks reach PostgreSQL; the retention pass still runs', async () => {
    const t = nodes.first();
    const email = `where-${crypto.randomUUID()}@example.com`;
    const rowCount = async () => (await t.transactor.withPlatform((tx) => tx.selectFrom('login_throttle').select('subject').execute())).length;
    const before = await rowCount();
    assertProblem(await login(t, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    // Earlier cases' locks were copied there (redis-outage.security.test.ts); this failure was not.
    assert.equal(await rowCount(), before);
    const admin = new Redis(TEST_REDIS_URL);
    try {
      const keys = await admin.keys(`${TEST_REDIS_PREFIX}throttle:*`);
      assert.ok(keys.length > 0);
      for (const key of keys) {
        assert.match(key.slice(`${TEST_REDIS_PREFIX}throttle:`.length), /^[0-9a-f]{64}$/);
        const ttl = await admin.pttl(key);
        assert.ok(ttl > 0 && ttl <= 24 * 3_600_000, `TTL of ${key}: ${ttl}`);
      }
    } finally {
      admin.disconnect();
    }
    // Nothing for the retention job to do yet: Redis expires counters itself, and the copied locks still run.
    assert.equal(await t.app.services.throttle.purge(), 0);
    const [report] = await t.app.services.lifecycle.retention.purgeAll({ types: ['login_throttle'] });
    assert.equal(report?.removed, 0);
    nodes.clock.advance(61_000);
  });
});

describe('Redis throttle store across nodes (AUTH-6)', { skip }, () => {
  const clock = manualClock(new Date('2026-04-01T09:00:00Z'));
  const prefix = `${TEST_REDIS_PREFIX}store-${crypto.randomUUID()}:`;
  const key = randomBytes(32);
  // Two nodes: each its own connection and throttle, one Redis between them.
  const connections: Redis[] = [];
  let nodeA: LoginThrottle;
  let nodeB: LoginThrottle;
  const throttleOver = (client: Redis) => createLoginThrottle({ store: createRedisThrottleStore({ client, keyPrefix: prefix }), clock, key, threshold: 10, lockMinutes: 15 });

  before(() => {
    connections.push(new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL));
    const [a, b] = connections;
    assert.ok(a !== undefined && b !== undefined);
    nodeA = throttleOver(a);
    nodeB = throttleOver(b);
  });
  after(async () => {
    await deleteRedisKeys(prefix);
    for (const connection of connections) connection.disconnect();
  });

  it('AUTH-6: 50 parallel wrong attempts on two nodes are all counted in Redis, and exactly `threshold` failures lock', async () => {
    // One short of the threshold, in parallel over both nodes: spaced out, not locked.
    const email = `parallel-${crypto.randomUUID()}@example.com`;
    const first = await Promise.all(Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? nodeA : nodeB).fail(email)));
    assert.deepEqual([...first].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    clock.advance(61_000);
    await nodeB.check(email);
    // The tenth locks, on both nodes, for the whole lock time.
    assert.equal(await nodeB.fail(email), 10);
    clock.advance(61_000);
    for (const node of [nodeA, nodeB]) {
      const locked = await refusal(node.check(email));
      assert.equal(locked.code, 'too_many_attempts');
      assert.equal(locked.headers?.['retry-after'], String(15 * 60 - 61));
    }

    // 50 at once on a fresh account: every one counted (1…50, no lost update), one lock from the tenth.
    const burst = `burst-${crypto.randomUUID()}@example.com`;
    const counts = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? nodeA : nodeB).fail(burst)));
    assert.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1));
    const locked = await refusal(nodeA.check(burst));
    assert.equal(locked.code, 'too_many_attempts');
    assert.equal(locked.headers?.['retry-after'], String(15 * 60), 'later failures do not extend a running lock');
    clock.advance(15 * 60_000);
    await nodeB.check(burst);
  });

  it('AUTH-6: a lock counted on node A refuses on node B, and a success on B clears it for A', async () => {
    const email = `shared-${crypto.randomUUID()}@example.com`;
    for (let i = 0; i < 10; i++) {
      await nodeA.check(email);
      await nodeA.fail(email);
      clock.advance(61_000);
    }
    assert.equal((await refusal(nodeB.check(email))).code, 'too_many_attempts');
    clock.advance(15 * 60_000);
    await nodeB.check(email);
    await nodeB.succeed(email);
    assert.equal(await nodeA.fail(email), 1, 'the count restarted');
  });

  it('AUTH-6: the Redis store alone answers 503 when Redis does not answer, the same for every account (the app falls back to PostgreSQL on it: redis-outage.security.test.ts)', async () => {
    // Never connected, and commands do not queue: every command fails at once.
    const down = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    try {
      const throttle = throttleOver(down);
      for (const email of [`someone-${crypto.randomUUID()}@example.com`, 'nobody@example.com']) {
        const checked = await refusal(throttle.check(email));
        assert.equal(checked.code, 'service_unavailable');
        assert.equal((await refusal(throttle.fail(email))).code, 'service_unavailable');
      }
    } finally {
      down.disconnect();
    }
  });
});
