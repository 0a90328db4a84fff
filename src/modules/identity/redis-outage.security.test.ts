import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { LOCKOUT_ENV } from '../../../test/support/lockout.ts';
import { SOURCE_ADDRESSES } from '../../../test/support/parallel-lockout.ts';
import { freePort } from '../../../test/support/ports.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { assertLogoutReachesOtherNode } from '../../../test/support/revocation.ts';
import { manualClock } from '../../platform/clock.ts';
import type { PasswordHasher } from './password-hasher.ts';

/** Why this suite cannot run (no redis-server binary), or false. Fails instead under PARAPET_REQUIRE_REDIS=1. */
function skipReason(): string | false {
  if (spawnSync('redis-server', ['--version']).status === 0) return false;
  const reason = 'redis-server is not installed';
  if (process.env['PARAPET_REQUIRE_REDIS'] === '1') throw new Error(`${reason}, and PARAPET_REQUIRE_REDIS=1 requires it`);
  return reason;
}

const skip = skipReason();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe('a Redis outage while nodes use it for sign-in counters (issue 15 part 2, AUTH-6)', { skip, timeout: 600_000 }, () => {
  const clock = manualClock(new Date('2026-07-01T09:00:00Z'));
  let port = 0;
  let server: ChildProcess | undefined;
  let a: TestApp;
  let b: TestApp;
  let verifications = 0;
  const emails = { lockedBefore: `locked-before-${crypto.randomUUID()}@example.com`, outage: `outage-${crypto.randomUUID()}@example.com`, after: `after-${crypto.randomUUID()}@example.com` };

  async function startRedis(): Promise<void> {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await waitFor('redis-server answers', async () => {
        try {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        }
      });
    } finally {
      probe.disconnect();
    }
  }
  async function killRedis(): Promise<void> {
    const process = server;
    if (process?.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise((resolve) => process.once('exit', resolve));
    process.kill('SIGKILL');
    await exited;
  }

  before(async () => {
    port = await freePort();
    await startRedis();
    const options = {
      clock,
      logLevel: 'info' as const,
      env: { ...LOCKOUT_ENV, PARAPET_REDIS_URL: `redis://127.0.0.1:${port}/0` },
      wrapHasher: (hasher: PasswordHasher) => ({
        ...hasher,
        verify: (stored: string, password: string) => {
          verifications++;
          return hasher.verify(stored, password);
        },
      }),
    };
    a = await createTestApp(options);
    b = await createTestApp({ ...options, database: a.database });
    for (const email of Object.values(emails)) await a.createUser(email, TEST_PASSWORD);
  });
  after(async () => {
    await b.close();
    await a.close();
    await killRedis();
  });

  const login = (node: TestApp, email: string, password: string, remoteAddress = '127.0.0.1') => node.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress });
  const readiness = async (node: TestApp) => {
    const response = await node.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ status: string; degraded?: string[] }>();
  };
  const metric = async (node: TestApp, name: string) => {
    const text = (await node.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  const logLines = (node: TestApp, text: string) => node.logs.filter((line) => line.includes(text));
  const pgCounters = () => a.transactor.withPlatform(async (tx) => (await tx.selectFrom('login_throttle').select('subject').execute()).length);
  const redisCounters = async () => {
    const admin = new Redis({ port });
    try {
      return (await admin.keys('*throttle:*')).length;
    } finally {
      admin.disconnect();
    }
  };

  it('AUTH-6: with Redis up, counters live in Redis; a lock set there is copied to PostgreSQL', async () => {
    assert.deepEqual(await readiness(a), { status: 'ready' });
    for (let i = 0; i < 10; i++) {
      assertProblem(await login(i % 2 === 0 ? a : b, emails.lockedBefore, 'wrong wrong wrong'), 401, 'invalid_credentials');
      clock.advance(61_000);
    }
    assertProblem(await login(b, emails.lockedBefore, TEST_PASSWORD), 429, 'too_many_attempts');
    assert.ok((await redisCounters()) >= 1);
    assert.equal(await pgCounters(), 1, 'only the lock is copied to PostgreSQL');
    assert.equal(await metric(a, 'parapet_redis_fallback_active'), 0);
  });

  it('AUTH-6: Redis killed: sign-in works on both nodes, a lock from before holds, a burst is admitted one by one, ten failures lock on both nodes; /readyz says degraded; one warning per node', async () => {
    await killRedis();
    for (const node of [a, b]) await waitFor('the node reports Redis degraded', async () => (await readiness(node)).degraded?.includes('redis') === true);
    assert.deepEqual(await readiness(b), { status: 'ready', degraded: ['redis'] });
    // The right password still signs in (no 503), on both nodes.
    for (const node of [a, b]) assert.equal((await login(node, emails.after, TEST_PASSWORD)).statusCode, 200);
    // The lock set in Redis before the outage holds without it.
    for (const node of [a, b]) assertProblem(await login(node, emails.lockedBefore, TEST_PASSWORD), 429, 'too_many_attempts');
    // 100 parallel wrong passwords over both nodes and 8 addresses: the PostgreSQL fallback admits 4.
    const start = verifications;
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => login(i % 2 === 0 ? a : b, emails.outage, 'wrong wrong wrong', SOURCE_ADDRESSES[i % 8])));
    assert.equal(verifications - start, 4);
    assert.equal(burst.filter((r) => r.statusCode === 429).length, 96);
    for (let i = 0; i < 6; i++) {
      clock.advance(61_000);
      assertProblem(await login(i % 2 === 0 ? b : a, emails.outage, 'wrong wrong wrong'), 401, 'invalid_credentials');
    }
    clock.advance(61_000);
    for (const node of [a, b]) assertProblem(await login(node, emails.outage, TEST_PASSWORD), 429, 'too_many_attempts');
    assert.equal(verifications - start, 10, 'the threshold, no more');
    // Reconnection attempts continue (every 2 s at most) without another warning.
    await sleep(4500);
    for (const node of [a, b]) {
      assert.equal(logLines(node, 'Redis does not answer').length, 1, node.logs.filter((l) => l.includes('"level":40')).join('\n'));
      assert.equal(await metric(node, 'parapet_redis_fallback_active'), 1);
      assert.ok(((await metric(node, 'parapet_redis_fallbacks_total{component="sign_in_counters"}')) ?? 0) >= 1);
    }
  });

  it('AUTH-6: Redis back: the lock set during the outage still holds on both nodes, counters return to Redis, revocations fan out again', async () => {
    await startRedis();
    for (const node of [a, b]) await waitFor('the node reports Redis back', async () => (await readiness(node)).degraded === undefined);
    for (const node of [a, b]) {
      assert.equal(logLines(node, 'Redis answers again').length, 1);
      assert.equal(await metric(node, 'parapet_redis_fallback_active'), 0);
    }
    // Redis restarted empty: both locks (the one from before the outage, the one during it) hold.
    assert.equal(await redisCounters(), 0);
    for (const node of [a, b]) {
      assertProblem(await login(node, emails.outage, TEST_PASSWORD), 429, 'too_many_attempts');
      assertProblem(await login(node, emails.lockedBefore, TEST_PASSWORD), 429, 'too_many_attempts');
    }
    // New failures are counted in Redis again, not in PostgreSQL.
    const rows = await pgCounters();
    assertProblem(await login(a, emails.after, 'wrong wrong wrong'), 401, 'invalid_credentials');
    assert.equal(await pgCounters(), rows);
    assert.ok((await redisCounters()) >= 1);
    // Revocation fan-out through Redis works again.
    await assertLogoutReachesOtherNode(a, b);
    // Once the lock runs out, the right password signs in and clears PostgreSQL's counter too.
    clock.advance(16 * 60_000);
    assert.equal((await login(b, emails.outage, TEST_PASSWORD)).statusCode, 200);
    assert.equal(await pgCounters(), rows - 1);
  });
});
