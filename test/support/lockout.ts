// The per-account brute-force cases (AUTH-6), run against each throttle store: call inside a
// `describe`; it starts two nodes and registers the cases.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { manualClock } from '../../src/platform/clock.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from './app.ts';
import { assertProblem } from './problem.ts';

export const LOCKOUT_ENV = { PARAPET_LOCKOUT_THRESHOLD: '10', PARAPET_LOCKOUT_MINUTES: '15' } as const;

export interface LockoutNodes {
  readonly clock: ReturnType<typeof manualClock>;
  /** The first node (its password verifications are counted). */
  first(): TestApp;
  second(): TestApp;
  /** Password verifications on the first node so far. */
  verifications(): number;
}

export const login = (app: TestApp, email: string, password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

/**
 * Registers the lockout cases on two nodes. `env` picks the store (PARAPET_REDIS_URL for Redis);
 * with `ownDatabases` the nodes share nothing but that store, so every lock seen on the second node
 * travelled through it.
 */
export function lockoutCases(options: { env?: Record<string, string>; ownDatabases?: boolean } = {}): LockoutNodes {
  const clock = manualClock(new Date('2026-04-01T09:00:00Z'));
  const env = { ...LOCKOUT_ENV, ...options.env };
  let t: TestApp | undefined;
  let second: TestApp | undefined;
  let verifications = 0;
  const nodes: LockoutNodes = {
    clock,
    first: () => t ?? assert.fail('first node not started'),
    second: () => second ?? assert.fail('second node not started'),
    verifications: () => verifications,
  };

  before(async () => {
    t = await createTestApp({
      clock,
      env,
      wrapHasher: (hasher) => ({
        ...hasher,
        verify: (stored, password) => {
          verifications++;
          return hasher.verify(stored, password);
        },
      }),
    });
    // A second node with its own memory (and, with `ownDatabases`, its own database).
    second = await createTestApp({ clock, env, ...(options.ownDatabases === true ? {} : { database: t.database }) });
  });
  after(async () => {
    await second?.close();
    await t?.close();
  });

  const strip = (body: string) => body.replace(/"request_id":"[^"]+"/, '');

  /** Fails once, then moves the clock past any spacing delay so the next attempt is due. */
  async function failOnce(app: TestApp, email: string): Promise<void> {
    assertProblem(await login(app, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    clock.advance(61_000);
  }

  it('AUTH-6: ten failures lock the account, on every node, even for the right password, for the configured time', async () => {
    const [a, b] = [nodes.first(), nodes.second()];
    const email = `locked-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    for (let i = 0; i < 5; i++) await failOnce(a, email);
    for (let i = 0; i < 5; i++) await failOnce(b, email);
    const before = verifications;
    const locked = await login(a, email, TEST_PASSWORD);
    assertProblem(locked, 429, 'too_many_attempts');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal(verifications, before, 'a locked account costs no password verification');
    assertProblem(await login(b, email, TEST_PASSWORD), 429, 'too_many_attempts');
    clock.advance(15 * 60_000);
    assert.equal((await login(a, email, TEST_PASSWORD)).statusCode, 200);
  });

  it('AUTH-6: an unknown account locks exactly like a real one, so the lock reveals nothing', async () => {
    const a = nodes.first();
    const real = `real-${crypto.randomUUID()}@example.com`;
    const unknown = `unknown-${crypto.randomUUID()}@example.com`;
    await a.createUser(real, TEST_PASSWORD);
    for (let i = 0; i < 10; i++) {
      assertProblem(await login(a, real, 'wrong wrong wrong'), 401, 'invalid_credentials');
      assertProblem(await login(a, unknown, 'wrong wrong wrong'), 401, 'invalid_credentials');
      if (i < 9) clock.advance(61_000);
    }
    const refusedReal = await login(a, real, 'anything at all here');
    const refusedUnknown = await login(a, unknown, 'anything at all here');
    assertProblem(refusedReal, 429, 'too_many_attempts');
    assertProblem(refusedUnknown, 429, 'too_many_attempts');
    assert.equal(strip(refusedReal.body), strip(refusedUnknown.body));
    assert.equal(refusedReal.headers['retry-after'], refusedUnknown.headers['retry-after']);
    clock.advance(16 * 60_000);
  });

  it('AUTH-6: after four failures, attempts are spaced out and an early one costs no verification', async () => {
    const a = nodes.first();
    const email = `spaced-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    for (let i = 0; i < 4; i++) assertProblem(await login(a, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    const before = verifications;
    const early = await login(a, email, TEST_PASSWORD);
    assertProblem(early, 429, 'too_many_attempts');
    assert.equal(early.headers['retry-after'], '1');
    assert.equal(verifications, before);
    clock.advance(1000);
    assert.equal((await login(a, email, TEST_PASSWORD)).statusCode, 200, 'a success clears the count');
    assertProblem(await login(a, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
    assertProblem(await login(a, email, 'wrong wrong wrong'), 401, 'invalid_credentials');
  });

  it('AUTH-6: concurrent failures are all counted (no lost updates)', async () => {
    const a = nodes.first();
    const email = `burst-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    const throttle = a.app.services.throttle;
    const counts = await Promise.all(Array.from({ length: 20 }, () => throttle.fail(email)));
    assert.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
    assertProblem(await login(nodes.second(), email, TEST_PASSWORD), 429, 'too_many_attempts');
    clock.advance(16 * 60_000);
  });

  return nodes;
}
