import assert from 'node:assert/strict';
import { SESSION_CACHE_TTL_MS } from '../../src/modules/identity/session-service.ts';
import { TEST_PASSWORD, type TestApp } from './app.ts';

/**
 * AUTH-5: signs in on node `a`, has node `b` cache the session, signs out on `a`, and asserts that
 * `b` refuses the session within 1 s — long before its cache would expire on its own, so only the
 * pushed revocation can explain it.
 */
export async function assertLogoutReachesOtherNode(a: TestApp, b: TestApp): Promise<void> {
  assert.ok(SESSION_CACHE_TTL_MS > 5_000, 'the cache outlives the check, so only the pushed revocation can end it');
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
}
