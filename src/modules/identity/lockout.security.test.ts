import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';

describe('brute-force protection per account (AUTH-6)', () => {
  const clock = manualClock(new Date('2026-04-01T09:00:00Z'));
  let t: TestApp;
  let second: TestApp;
  let verifications = 0;

  before(async () => {
    t = await createTestApp({
      clock,
      env: { PARAPET_LOCKOUT_THRESHOLD: '10', PARAPET_LOCKOUT_MINUTES: '15' },
      wrapHasher: (hasher) => ({
        ...hasher,
        verify: (stored, password) => {
          verifications++;
          return hasher.verify(stored, password);
        },
      }),
    });
    // A second node over the same database, with its own memory.
    second = await createTestApp({ clock, database: t.database, env: { PARAPET_LOCKOUT_THRESHOLD: '10', PARAPET_LOCKOUT_MINUTES: '15' } });
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  const login = (app: TestApp, email: string, password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const strip = (body: string) => body.replace(/"request_id":"[^"]+"/, '');

  /** Fails once, then moves the clock past any spacing delay so the next attempt is due. */
  async function failOnce(app: TestApp, email: string): Promise<void> {
    assertProblem(await login(app, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    clock.advance(61_000);
  }

  it('AUTH-6: ten failures lock the account, on every node, even for the right password, for the configured time', async () => {
    const email = `locked-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    for (let i = 0; i < 5; i++) await failOnce(t, email);
    for (let i = 0; i < 5; i++) await failOnce(second, email);
    const before = verifications;
    const locked = await login(t, email, TEST_PASSWORD);
    assertProblem(locked, 429, 'too_many_attempts');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal(verifications, before, 'a locked account costs no password verification');
    assertProblem(await login(second, email, TEST_PASSWORD), 429, 'too_many_attempts');
    clock.advance(15 * 60_000);
    assert.equal((await login(t, email, TEST_PASSWORD)).statusCode, 200);
  });

  it('AUTH-6: an unknown account locks exactly like a real one, so the lock reveals nothing', async () => {
    const real = `real-${crypto.randomUUID()}@example.com`;
    const unknown = `unknown-${crypto.randomUUID()}@example.com`;
    await t.createUser(real, TEST_PASSWORD);
    for (let i = 0; i < 10; i++) {
      assertProblem(await login(t, real, 'wrong wrong wrong'), 401, 'invalid_credentials');
      assertProblem(await login(t, unknown, 'wrong wrong wrong'), 401, 'invalid_credentials');
      if (i < 9) clock.advance(61_000);
    }
    const a = await login(t, real, 'anything at all here');
    const b = await login(t, unknown, 'anything at all here');
    assertProblem(a, 429, 'too_many_attempts');
    assertProblem(b, 429, 'too_many_attempts');
    assert.equal(strip(a.body), strip(b.body));
    assert.equal(a.headers['retry-after'], b.headers['retry-after']);
    clock.advance(16 * 60_000);
  });

  it('AUTH-6: after four failures, attempts are spaced out and an early one costs no verification', async () => {
    const email = `spaced-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    for (let i = 0; i < 4; i++) assertProblem(await login(t, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    const before = verifications;
    const early = await login(t, email, TEST_PASSWORD);
    assertProblem(early, 429, 'too_many_attempts');
    assert.equal(early.headers['retry-after'], '1');
    assert.equal(verifications, before);
    clock.advance(1000);
    assert.equal((await login(t, email, TEST_PASSWORD)).statusCode, 200, 'a success clears the count');
    assertProblem(await login(t, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    assertProblem(await login(t, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
  });

  it('AUTH-6: old counters are purged, running locks are kept', async () => {
    const email = `purge-${crypto.randomUUID()}@example.com`;
    await t.app.services.throttle.fail(email);
    clock.advance(25 * 3_600_000);
    assert.ok((await t.app.services.throttle.purge()) >= 1);
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('login_throttle').select('subject').where('last_failure_at', '<', new Date(clock.now().getTime() - 24 * 3_600_000)).execute());
    assert.equal(rows.length, 0);
  });

  it('AUTH-6: concurrent failures are all counted (no lost updates)', async () => {
    const email = `burst-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    const throttle = t.app.services.throttle;
    const counts = await Promise.all(Array.from({ length: 20 }, () => throttle.fail(email)));
    assert.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
    assertProblem(await login(second, email, TEST_PASSWORD), 429, 'too_many_attempts');
    clock.advance(16 * 60_000);
  });
});
