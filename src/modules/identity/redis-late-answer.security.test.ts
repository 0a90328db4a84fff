// AUTH-6, issue 16 (the Redis flake of parallel-lockout): a sign-in counter command that Redis
// answers late — the command may still run there — must not hand the attempt to the PostgreSQL
// counters, which would start a second count beside Redis's and admit attempts Redis refuses.
// Real Redis behind a TCP proxy that holds replies back; real PostgreSQL (or PGlite) counters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { redisSkipReason, TEST_REDIS_PREFIX, TEST_REDIS_URL } from '../../../test/support/redis.ts';
import { startSlowProxy, type SlowProxy } from '../../../test/support/slow-proxy.ts';
import { answeredWithin, RedisDeadlineError } from '../../platform/redis/answered-within.ts';
import { createRedisHealth } from '../../platform/redis/redis-health.ts';
import { AppError } from '../../platform/http/errors.ts';
import { createFallbackThrottleStore } from './fallback-throttle-store.ts';
import { createRedisThrottleStore } from './redis-throttle-store.ts';
import { createPostgresThrottleStore, type AdmissionRule } from './throttle-store.ts';

const redisSkip = await redisSkipReason();
const FREE = 4;
// Generous: the in-time answers must stay in time on a loaded machine (a full suite runs beside it).
const DEADLINE_MS = 750;

describe('AUTH-6: sign-in counters when Redis answers late', { skip: redisSkip }, () => {
  let t: TestApp;
  let proxy: SlowProxy;
  let client: Redis;
  before(async () => {
    t = await createTestApp();
    const target = new URL(TEST_REDIS_URL);
    proxy = await startSlowProxy({ host: target.hostname, port: Number(target.port || 6379) });
    client = await proxied();
  });
  /** A connection through the proxy, as the counters' own: no ioredis command timeout, no offline queue. */
  async function proxied(): Promise<Redis> {
    const db = Number(new URL(TEST_REDIS_URL).pathname.slice(1) || 0);
    const connection = new Redis({ host: '127.0.0.1', port: proxy.port, db, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    connection.on('error', () => undefined);
    await connection.connect();
    return connection;
  }
  after(async () => {
    client.disconnect();
    await proxy.close();
    await t.close();
  });

  const rule = (): AdmissionRule => ({ nowMs: Date.now(), windowMs: 60_000, threshold: 10, lockMs: 60_000, freeFailures: FREE, firstDelayMs: 60_000, maxDelayMs: 60_000 });
  const stores = (slowOutageMs?: number, connection = client) => {
    const health = createRedisHealth({ logger: pino({ level: 'silent' }) });
    const store = createFallbackThrottleStore({
      redis: createRedisThrottleStore({ client: connection, keyPrefix: `${TEST_REDIS_PREFIX}late:`, deadlineMs: DEADLINE_MS }),
      postgres: createPostgresThrottleStore(t.transactor),
      health,
      ...(slowOutageMs === undefined ? {} : { slowOutageMs }),
    });
    return { store, health };
  };
  const subject = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32)));

  it('AUTH-6: attempts answered late by Redis are refused, not counted again in PostgreSQL: never more than the free attempts in all', async () => {
    const { store } = stores();
    const who = subject();
    // Two attempts answered in time: Redis counts them.
    proxy.delayReplies(0);
    for (let i = 0; i < 2; i++) assert.equal((await store.reserve(who, rule())).admitted, true);
    // Redis turns slow: six attempts at once, each answered after its deadline (Redis still runs them).
    proxy.delayReplies(DEADLINE_MS * 3);
    const late = await Promise.allSettled(Array.from({ length: 6 }, () => store.reserve(who, rule())));
    proxy.delayReplies(0);
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 4));
    const admittedLate = late.filter((r) => r.status === 'fulfilled' && r.value.admitted).length;
    for (const r of late) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof AppError && r.reason.code === 'service_unavailable', String(r.reason));
    }
    // In time again: nothing more is free.
    const next = await store.reserve(who, rule());
    const admitted = 2 + admittedLate + (next.admitted ? 1 : 0);
    assert.ok(admitted <= FREE, `${admitted} attempts admitted with ${FREE} free (${admittedLate} of them while Redis answered late)`);
  });

  it('AUTH-6: a Redis that answers nothing in time for longer than the outage threshold is an outage: counters move to PostgreSQL', async () => {
    // Its own connection: the replies held back here stay queued behind it for 10 s.
    const connection = await proxied();
    const { store, health } = stores(DEADLINE_MS * 2, connection);
    const who = subject();
    proxy.delayReplies(10_000);
    try {
      await assert.rejects(store.reserve(who, rule()), (error: unknown) => error instanceof AppError && error.code === 'service_unavailable');
      assert.equal(health.degraded(), false, 'one late answer is not an outage');
      await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 2));
      // Still late, now past the threshold: served by PostgreSQL.
      assert.equal((await store.reserve(who, rule())).admitted, true);
      assert.equal(health.degraded(), true);
    } finally {
      proxy.delayReplies(0);
      connection.disconnect();
    }
  });

  it('AUTH-6: a reply that arrived while the event loop was blocked is not taken for a late one', async () => {
    const direct = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    direct.on('error', () => undefined);
    await direct.connect();
    try {
      // The command is written at once and its deadline starts; the reply reaches the socket within
      // a millisecond while this process is busy for three deadlines (a stall like a loaded machine's).
      const answer = answeredWithin(direct.ping(), DEADLINE_MS);
      const until = performance.now() + DEADLINE_MS * 3;
      while (performance.now() < until) {
        /* busy */
      }
      assert.equal(await answer, 'PONG');
    } finally {
      direct.disconnect();
    }
  });

  it('answeredWithin: no answer at all is RedisDeadlineError', async () => {
    await assert.rejects(answeredWithin(new Promise(() => undefined), 20), RedisDeadlineError);
  });
});
