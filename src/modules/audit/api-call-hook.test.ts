import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/index.ts';
import { systemClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createHttpMetrics } from '../../platform/http/metrics.ts';
import { createIpRateLimiter } from '../../platform/http/rate-limit.ts';
import { Problem } from '../../platform/http/schemas.ts';
import { createHttpServer } from '../../platform/http/server.ts';
import { createLogger } from '../../platform/log/logger.ts';
import type { AuditEventInput } from './audit-event.ts';
import type { ApiCallBuffer } from './api-call-buffer.ts';
import { recordApiCalls } from './api-call-hook.ts';

const ORG = '0190a5f4-0000-7000-8000-000000000001';

/** A buffer that keeps what it is given; `failDurable` makes every durable write fail. */
function fakeBuffer() {
  const buffered: AuditEventInput[] = [];
  const durable: AuditEventInput[] = [];
  const state = { failDurable: false, answeredBeforeCommit: false, committed: false };
  const buffer: ApiCallBuffer = {
    add: (_tenant, input) => {
      buffered.push(input);
    },
    addDurable: async (_tenant, input) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (state.failDurable) throw new Error('database down');
      durable.push(input);
      state.committed = true;
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    queued: 0,
    dropped: 0,
  };
  return { buffer, buffered, durable, state };
}

describe('the api.request hook (AUD-1, durability rule)', () => {
  let http: FastifyInstance;
  const fake = fakeBuffer();
  before(async () => {
    const config = loadConfig({ env: {} });
    http = await createHttpServer({ logger: createLogger('silent'), bodyLimit: config.bodyLimit, trustProxy: false, tls: false, limiter: createIpRateLimiter(1_000_000, 'ip'), authLimiter: createIpRateLimiter(1_000_000, 'auth'), metrics: createHttpMetrics() });
    http.addSchema(Problem);
    recordApiCalls(http, { buffer: fake.buffer, clock: systemClock, sampling: 1, random: systemRandom });
    http.get('/api/v1/organizations/:orgId/things', async () => ({ ok: true }));
    http.post('/api/v1/organizations/:orgId/things', async (_request, reply) => {
      // The handler has committed its change; the record must follow before the answer.
      fake.state.committed = false;
      return reply.code(201).send({ ok: true });
    });
    http.addHook('onResponse', async () => {
      if (!fake.state.committed) fake.state.answeredBeforeCommit = true;
    });
    await http.ready();
  });
  after(async () => {
    await http.close();
  });

  it('AUD-1: a successful state-changing call is answered only after its record is committed', async () => {
    const response = await http.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/things`, payload: {} });
    assert.equal(response.statusCode, 201);
    assert.equal(fake.state.answeredBeforeCommit, false);
    assert.equal(fake.durable.length, 1);
    assert.equal(fake.durable[0]?.metadata?.['method'], 'POST');
    assert.equal(fake.buffered.length, 0, 'the call was recorded twice');
  });

  it('AUD-1: a read is buffered, not written before its answer', async () => {
    const before = fake.durable.length;
    const response = await http.inject({ method: 'GET', url: `/api/v1/organizations/${ORG}/things` });
    assert.equal(response.statusCode, 200);
    assert.equal(fake.durable.length, before);
    assert.equal(fake.buffered.at(-1)?.metadata?.['method'], 'GET');
  });

  it('AUD-1: when the record of a state-changing call cannot be written, the call is not acknowledged: 503 problem+json', async () => {
    fake.state.failDurable = true;
    try {
      const response = await http.inject({ method: 'POST', url: `/api/v1/organizations/${ORG}/things`, payload: {} });
      assert.equal(response.statusCode, 503);
      assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal(response.json<{ code: string }>().code, 'service_unavailable');
      assert.doesNotMatch(response.body, /database down/);
      // The refused call is still recorded, as a failure, through the buffer.
      assert.equal(fake.buffered.at(-1)?.metadata?.['status'], 503);
      assert.equal(fake.buffered.at(-1)?.outcome, 'failure');
    } finally {
      fake.state.failDurable = false;
    }
  });
});
