import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { deleteRedisKeys, redisSkipReason, TEST_REDIS_PREFIX, TEST_REDIS_URL } from '../../../test/support/redis.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = await redisSkipReason();

peerSuite('two installations sharing one Redis (PARAPET_REDIS_PREFIX)', skip, () => {
  // Same keyring (so the same throttle HMAC per email), same Redis, own databases: only the prefix
  // keeps them apart.
  let x: TestApp;
  let y: TestApp;
  const env = { PARAPET_REDIS_URL: TEST_REDIS_URL, PARAPET_LOCKOUT_THRESHOLD: '3', PARAPET_LOCKOUT_MINUTES: '15' };
  before(async () => {
    x = await createTestApp({ env: { ...env, PARAPET_REDIS_PREFIX: `${TEST_REDIS_PREFIX}x:` } });
    y = await createTestApp({ env: { ...env, PARAPET_REDIS_PREFIX: `${TEST_REDIS_PREFIX}y:` } });
  });
  after(async () => {
    await y.close();
    await x.close();
    await deleteRedisKeys(TEST_REDIS_PREFIX);
  });

  it('AUTH-6: an account locked in one installation still signs in, with the same email, in the other', async () => {
    const email = `shared-${crypto.randomUUID()}@example.com`;
    await x.createUser(email, TEST_PASSWORD);
    await y.createUser(email, TEST_PASSWORD);
    const login = (app: TestApp, password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    for (let i = 0; i < 3; i++) assert.equal((await login(x, 'not the right passphrase')).statusCode, 401);
    assert.notEqual((await login(x, TEST_PASSWORD)).statusCode, 200, 'locked in installation X');
    assert.equal((await login(y, TEST_PASSWORD)).statusCode, 200, 'installation Y shares no counter with X');
  });

  it('AUTH-5: a change published in one installation is heard there and not in the other', async () => {
    const topic = `prefix-${crypto.randomUUID()}`;
    const heard = { x: [] as string[], y: [] as string[] };
    const stops = [x.app.services.feed.subscribe(topic, (key) => heard.x.push(key), () => undefined), y.app.services.feed.subscribe(topic, (key) => heard.y.push(key), () => undefined)];
    await x.transactor.withPlatform((tx) => x.app.services.feed.publish(tx as never, topic, 'from-x'));
    const started = Date.now();
    while (heard.x.length === 0 && Date.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const stop of stops) stop();
    assert.deepEqual(heard, { x: ['from-x'], y: [] });
  });
});
