import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_PREFIX, TEST_REDIS_URL } from '../../../test/support/redis.ts';
import { createLogger } from '../log/logger.ts';
import { connectRedis } from '../redis/connect-redis.ts';
import { AppError } from './errors.ts';
import { createIpRateLimiter } from './rate-limit.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = await redisSkipReason();

peerSuite('per-IP limits shared through Redis (AUTH-6)', skip, () => {
  // Keys of this run only, so parallel runs on one Redis never share a budget.
  const prefix = `${TEST_REDIS_PREFIX}rate-${crypto.randomUUID()}:`;
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    const env = { PARAPET_REDIS_URL: TEST_REDIS_URL, PARAPET_AUTH_RATE_LIMIT: '5' };
    a = await createTestApp({ env, redisKeyPrefix: prefix });
    b = await createTestApp({ env, redisKeyPrefix: prefix, database: a.database });
  });
  after(async () => {
    await b.close();
    await a.close();
    await deleteRedisKeys(prefix);
  });

  it('AUTH-6: the authentication limit of an address holds across two nodes, not per node', async () => {
    const address = '203.0.113.7';
    // A different account each time: only the per-IP limit can refuse.
    const attempt = (app: TestApp, from = address) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: from, payload: { email: `ip-${crypto.randomUUID()}@example.com`, password: 'wrong wrong wrong' } });
    for (let i = 0; i < 3; i++) assertProblem(await attempt(a), 401, 'invalid_credentials');
    for (let i = 0; i < 2; i++) assertProblem(await attempt(b), 401, 'invalid_credentials');
    // Five spent between the nodes: each refuses the sixth, though neither saw more than three.
    const limited = await attempt(b);
    assertProblem(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assertProblem(await attempt(a), 429, 'rate_limited');
    assertProblem(await attempt(a, '203.0.113.8'), 401, 'invalid_credentials');
  });

  it('when Redis stops answering, limits fall back to each node\u2019s memory (no 500), with one warning', async () => {
    const lines: string[] = [];
    const logger = createLogger('warn', new Writable({ write: (chunk: Buffer, _encoding, callback) => { lines.push(chunk.toString('utf8')); callback(); } }));
    const connection = await connectRedis({ url: TEST_REDIS_URL, logger, connectionName: 'parapet-test-rate' });
    try {
      const limiter = createIpRateLimiter(3, 'outage', { client: connection.client, keyPrefix: prefix, logger });
      const address = '203.0.113.9';
      await limiter.consume(address);
      // The connection is gone (as when Redis restarts or the network drops).
      connection.client.disconnect();
      for (let i = 0; i < 3; i++) await limiter.consume(address);
      const refused: unknown = await limiter.consume(address).then(() => undefined, (error: unknown) => error);
      assert.ok(refused instanceof AppError && refused.code === 'rate_limited', `expected rate_limited, got ${String(refused)}`);
      const warnings = lines.filter((line) => line.includes('per-IP rate limits are counted per node'));
      assert.equal(warnings.length, 1);
    } finally {
      await connection.close();
    }
  });
});
