import { Redis } from 'ioredis';

/** The Redis the suites use (a local server on the project's machines and CI's). */
export const TEST_REDIS_URL = process.env['PARAPET_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';

/** Why Redis suites are skipped, or false when they can run. Fails instead when PARAPET_REQUIRE_REDIS=1. */
export async function redisSkipReason(): Promise<string | false> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (error) {
    const reason = `Redis at ${TEST_REDIS_URL} does not answer (${(error as Error).message})`;
    if (process.env['PARAPET_REQUIRE_REDIS'] === '1') throw new Error(`${reason}, and PARAPET_REQUIRE_REDIS=1 requires it`);
    process.stdout.write(`# skipped: ${reason}\n`);
    return reason;
  } finally {
    client.disconnect();
  }
}

/** Keys of this test process start with this, so suites running in parallel on one Redis never meet. */
export const TEST_REDIS_PREFIX = `parapet-test:${process.pid}-${crypto.randomUUID().slice(0, 8)}:`;

/** Deletes every key under `prefix` (a test's leftovers); returns how many. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let deleted = 0;
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await client.del(...keys);
    }
    return deleted;
  } finally {
    client.disconnect();
  }
}
