import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { SESSION_CACHE_TTL_MS } from './session-service.ts';

describe('session revocation across nodes (AUTH-5, ASVS 7.4)', () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await createTestApp();
    b = await createTestApp({ database: a.database });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('AUTH-5: a session ended on one node is refused on another within 1 s, long before the cache would expire', async () => {
    assert.ok(SESSION_CACHE_TTL_MS > 5_000, 'the cache outlives the test, so only the pushed revocation can end it');
    const email = `revoked-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    const cookie = await a.login(email, TEST_PASSWORD);
    const onB = () => b.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    assert.equal((await onB()).statusCode, 200);
    assert.equal((await onB()).statusCode, 200, 'now cached on node B');
    assert.equal((await a.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })).statusCode, 204);
    const started = Date.now();
    let status = 200;
    while (Date.now() - started < 1000) {
      status = (await onB()).statusCode;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 401, 'node B still accepted the ended session after 1 s');
  });
});
