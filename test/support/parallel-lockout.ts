// Parallel brute force against one account on two nodes (issue 14, AUTH-6): registers the cases
// inside a `describe`, for whichever throttle store `env` selects. Both nodes share one database
// and one clock; their password hashers and TOTP factors count every verification they run.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { after, before, it } from 'node:test';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from './app.ts';
import { LOCKOUT_ENV } from './lockout.ts';
import { assertProblem } from './problem.ts';

/** Eight source addresses, as if the burst came from eight machines (no per-IP limit helps). */
export const SOURCE_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'] as const;
/** Failures admitted at once before attempts are spaced out (login-throttle.ts). */
const FREE_FAILURES = 4;
const THRESHOLD = Number(LOCKOUT_ENV.PARAPET_LOCKOUT_THRESHOLD);

export interface ParallelNodes {
  readonly clock: ReturnType<typeof manualClock>;
  nodes(): readonly [TestApp, TestApp];
  /** Password verifications on both nodes so far. */
  passwordChecks(): number;
}

export function parallelLockoutCases(options: { env?: Record<string, string> } = {}): ParallelNodes {
  const clock = manualClock(new Date('2026-06-01T09:00:00Z'));
  const env = { ...LOCKOUT_ENV, ...options.env };
  let apps: [TestApp, TestApp] | undefined;
  let passwordChecks = 0;
  let codeChecks = 0;
  const counting: Parameters<typeof createTestApp>[0] = {
    clock,
    env,
    wrapHasher: (hasher) => ({
      ...hasher,
      verify: (stored, password) => {
        passwordChecks++;
        return hasher.verify(stored, password);
      },
    }),
  };
  const nodes = (): readonly [TestApp, TestApp] => apps ?? assert.fail('nodes not started');

  before(async () => {
    const a = await createTestApp(counting);
    const b = await createTestApp({ ...counting, database: a.database });
    apps = [a, b];
    for (const node of apps) {
      // Count every TOTP check the node runs.
      const factor = node.app.services.mfa.registry.get('totp');
      const verify = factor.verify.bind(factor);
      factor.verify = (input) => {
        codeChecks++;
        return verify(input);
      };
    }
  });
  after(async () => {
    await apps?.[1].close();
    await apps?.[0].close();
  });

  /** Request `i` of a burst: alternating nodes, spread over the eight source addresses. */
  const spread = (i: number) => ({ node: nodes()[i % 2] ?? assert.fail(), remoteAddress: SOURCE_ADDRESSES[i % SOURCE_ADDRESSES.length] ?? assert.fail() });
  const login = (i: number, email: string, password: string) => {
    const { node, remoteAddress } = spread(i);
    return node.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress });
  };
  const burst = (size: number, request: (i: number) => Promise<LightMyRequestResponse>) => Promise.all(Array.from({ length: size }, (_, i) => request(i)));
  const statuses = (responses: readonly LightMyRequestResponse[]) => {
    const counts = new Map<string, number>();
    for (const r of responses) {
      const key = `${r.statusCode} ${r.json<{ code?: string }>().code ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return Object.fromEntries(counts);
  };

  it('AUTH-6: 100 parallel wrong passwords from 8 addresses on two nodes run 4 verifications; later bursts one each, never more than the threshold in all', async () => {
    const [a, b] = nodes();
    const email = `parallel-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    const start = passwordChecks;
    const first = await burst(100, (i) => login(i, email, 'wrong wrong wrong'));
    assert.equal(passwordChecks - start, FREE_FAILURES, `verifications in one burst; answers ${JSON.stringify(statuses(first))}`);
    assert.deepEqual(statuses(first), { '401 invalid_credentials': FREE_FAILURES, '429 too_many_attempts': 100 - FREE_FAILURES });
    // Each later burst, once the spacing has passed, gets one attempt, until the lock.
    for (let i = 0; i < THRESHOLD; i++) {
      clock.advance(61_000);
      await burst(20, (j) => login(j, email, 'wrong wrong wrong'));
    }
    assert.equal(passwordChecks - start, THRESHOLD, 'verifications over every burst');
    // Locked on both nodes, even for the right password, with no verification.
    clock.advance(61_000);
    const locked = passwordChecks;
    assertProblem(await a.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } }), 429, 'too_many_attempts');
    assertProblem(await b.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } }), 429, 'too_many_attempts');
    assert.equal(passwordChecks, locked);
    clock.advance(15 * 60_000);
    assert.equal((await login(1, email, TEST_PASSWORD)).statusCode, 200, 'the right password after the lock');
  });

  it('AUTH-6: after failures, the honest user who types the right password once the spacing has passed signs in, and the count is cleared', async () => {
    const [a] = nodes();
    const email = `honest-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    await burst(20, (i) => login(i, email, 'wrong wrong wrong'));
    clock.advance(1000);
    assert.equal((await login(0, email, TEST_PASSWORD)).statusCode, 200);
    // Cleared: a fresh burst again gets the four free attempts.
    const start = passwordChecks;
    await burst(20, (i) => login(i, email, 'wrong wrong wrong'));
    assert.equal(passwordChecks - start, FREE_FAILURES);
    clock.advance(61_000);
  });

  it('AUTH-6: 30 parallel wrong step-up passwords on two nodes run 4 verifications', async () => {
    const [a] = nodes();
    const email = `step-up-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    const cookie = await a.login(email, TEST_PASSWORD);
    const start = passwordChecks;
    const answers = await burst(30, (i) => {
      const { node, remoteAddress } = spread(i);
      return node.inject({ method: 'POST', url: '/api/v1/auth/reauthenticate', payload: { password: 'wrong wrong wrong' }, headers: { cookie }, remoteAddress });
    });
    assert.equal(passwordChecks - start, FREE_FAILURES, JSON.stringify(statuses(answers)));
    assert.deepEqual(statuses(answers), { '401 invalid_credentials': FREE_FAILURES, '429 too_many_attempts': 30 - FREE_FAILURES });
    clock.advance(61_000);
  });

  it('AUTH-6: 30 parallel wrong second-factor codes on two nodes run 4 code checks', async () => {
    const [a] = nodes();
    const email = `mfa-${crypto.randomUUID()}@example.com`;
    await a.createUser(email, TEST_PASSWORD);
    const cookie = await a.login(email, TEST_PASSWORD);
    const { secret } = (await a.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    const code = () => totp(base32Decode(secret), clock.now());
    assert.equal((await a.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: code() }, headers: { cookie } })).statusCode, 200);
    clock.advance(30_000);
    const signIn = await a.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } });
    const pending = signIn.cookies.find((c) => c.name === 'parapet_mfa') ?? assert.fail(`no pending sign-in: ${signIn.body}`);
    const wrong = code() === '999999' ? '888888' : '999999';
    const start = codeChecks;
    const answers = await burst(30, (i) => {
      const { node, remoteAddress } = spread(i);
      return node.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: wrong }, headers: { cookie: `${pending.name}=${pending.value}` }, remoteAddress });
    });
    assert.equal(codeChecks - start, FREE_FAILURES, JSON.stringify(statuses(answers)));
    assert.deepEqual(statuses(answers), { '401 invalid_mfa_code': FREE_FAILURES, '429 too_many_attempts': 30 - FREE_FAILURES });
    // The right code, once due, still completes the sign-in.
    clock.advance(1000);
    const done = await a.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code() }, headers: { cookie: `${pending.name}=${pending.value}` } });
    assert.equal(done.statusCode, 200, done.body);
    assert.ok(sessionCookie(done));
    clock.advance(61_000);
  });

  return { clock, nodes, passwordChecks: () => passwordChecks };
}
