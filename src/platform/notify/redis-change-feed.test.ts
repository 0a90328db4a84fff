import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pino from 'pino';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { redisSkipReason, TEST_REDIS_URL } from '../../../test/support/redis.ts';
import { assertLogoutReachesOtherNode } from '../../../test/support/revocation.ts';
import { createRedisChangeFeed } from './redis-change-feed.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = await redisSkipReason();

/** Resolves with the keys a topic hears within `ms`. */
function collect(feed: Awaited<ReturnType<typeof createRedisChangeFeed>>, topic: string, ms: number): Promise<string[]> {
  const heard: string[] = [];
  const stop = feed.subscribe(topic, (key) => heard.push(key), () => undefined);
  return new Promise((resolve) =>
    setTimeout(() => {
      stop();
      resolve(heard);
    }, ms),
  );
}

peerSuite('change feed over Redis pub/sub', skip, () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await createTestApp({ env: { PARAPET_REDIS_URL: TEST_REDIS_URL } });
    b = await createTestApp({ database: a.database, env: { PARAPET_REDIS_URL: TEST_REDIS_URL } });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('AUTH-5: a change reaches every node when its transaction commits, and never when it rolls back', async () => {
    const topic = `test-${crypto.randomUUID()}`;
    const feed = a.app.services.feed;
    const heard = collect(b.app.services.feed, topic, 1000);
    await assert.rejects(
      a.transactor.withPlatform(async (tx) => {
        await feed.publish(tx as never, topic, 'rolled-back');
        throw new Error('abort');
      }),
      /abort/,
    );
    await a.transactor.withPlatform((tx) => feed.publish(tx as never, topic, 'committed'));
    assert.deepEqual(await heard, ['committed']);
  });

  it('AUTH-5: a session ended on one node is refused on another within 1 s when revocations travel over Redis', async () => {
    await assertLogoutReachesOtherNode(a, b);
  });

  it('a subscriber whose Redis connection drops is told to reset its caches', async () => {
    const connectionName = `parapet-feed-test-${crypto.randomUUID()}`;
    const feed = await createRedisChangeFeed({ url: TEST_REDIS_URL, logger: pino({ level: 'silent' }), connectionName });
    let resets = 0;
    feed.subscribe('anything', () => undefined, () => resets++);
    // Kill this feed's connections from the server side.
    const { Redis } = await import('ioredis');
    const admin = new Redis(TEST_REDIS_URL);
    try {
      const clients = String(await admin.call('CLIENT', 'LIST'));
      for (const line of clients.split('\n').filter((entry) => entry.includes(`name=${connectionName} `))) {
        const id = /\bid=(\d+)/.exec(line)?.[1];
        if (id !== undefined) await admin.call('CLIENT', 'KILL', 'ID', id);
      }
      const started = Date.now();
      while (resets < 2 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(resets >= 2, `expected a reset at the drop and at reconnection, saw ${resets}`);
    } finally {
      admin.disconnect();
      await feed.close();
    }
  });
});
