import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { manualClock } from '../../platform/clock.ts';
import { createThrottle } from './login-throttle.ts';
import { createPostgresThrottleStore } from './throttle-store.ts';

describe('throttle identifiers', () => {
  const clock = manualClock(new Date('2026-11-23T09:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  const throttle = (identifiers: 'email' | 'exact', namespace: string) =>
    createThrottle({ store: createPostgresThrottleStore(t.transactor), clock, key: Buffer.alloc(32, 7), threshold: 2, lockMinutes: 15, namespace, identifiers });

  it('AUTH-6: addresses that differ only in case share one counter', async () => {
    const byEmail = throttle('email', 'case-email');
    await byEmail.fail('Ana@Example.com');
    assert.equal(await byEmail.fail('ana@example.com'), 2);
  });

  it('AUTH-6: exact identifiers (WebAuthn credential ids are base64url) never share a counter across case', async () => {
    const exact = throttle('exact', 'case-exact');
    await exact.fail('AbCdEf');
    await exact.fail('AbCdEf');
    await assert.rejects(exact.check('AbCdEf'), (error: Error & { code?: string }) => error.code === 'too_many_attempts');
    // Another credential whose id differs only in case is not locked by the first one's failures.
    assert.equal(await exact.check('abcdef'), false);
  });
});
