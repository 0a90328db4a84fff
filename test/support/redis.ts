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
