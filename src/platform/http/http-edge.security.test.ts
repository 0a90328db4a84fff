// Errors that happen before Parapet's handlers — framing Node cannot parse, headers too large or
// too slow, a path Fastify refuses, a body nested to overflow recursive code — are answered as
// RFC 9457 problem+json with a stable code, never a 500, a bare body or an echo of the input.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { assertProblem } from '../../../test/support/problem.ts';
import { createLogger } from '../log/logger.ts';
import { createHttpMetrics } from './metrics.ts';
import { createIpRateLimiter } from './rate-limit.ts';
import { createHttpServer } from './server.ts';
import { createRedirectServer } from './tls.ts';

const CANARY = 'canary7f3a9c2e41b8';

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Milliseconds from connecting until the server closed the connection. */
  readonly closedAfterMs: number;
}

/** Writes bytes on a fresh connection and reads until the server closes it. */
function raw(port: number, chunks: readonly string[], options: { gapMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split === -1 ? text.length : split).split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: split === -1 ? '' : text.slice(split + 4), closedAfterMs: performance.now() - started });
    });
    socket.on('connect', () => {
      void (async () => {
        for (const chunk of chunks) {
          socket.write(chunk);
          if (options.gapMs !== undefined) await new Promise((done) => setTimeout(done, options.gapMs));
        }
      })();
    });
  });
}

function assertRawProblem(response: RawResponse, status: number, code: string): void {
  assert.equal(response.status, status, `${response.status} ${response.body}`);
  assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  const body = JSON.parse(response.body) as Record<string, unknown>;
  assert.equal(body['code'], code);
  assert.equal(body['status'], status);
  assert.equal(body['type'], `urn:parapet:problem:${code}`);
  assert.equal(typeof body['request_id'], 'string');
  assert.ok(!response.body.includes(CANARY), `echoed the input: ${response.body}`);
}

describe('HTTP edge: errors before the handlers', () => {
  let app: FastifyInstance;
  let port: number;

  before(async () => {
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    app = await createHttpServer({
      logger: createLogger('warn', sink),
      bodyLimit: 1024 * 1024,
      trustProxy: false,
      tls: false,
      limiter: createIpRateLimiter(100_000, 'ip'),
      authLimiter: createIpRateLimiter(100_000, 'auth'),
      metrics: createHttpMetrics(),
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      timeoutCheckIntervalMs: 50,
    });
    app.post('/echo', { schema: { body: { type: 'object' } } }, async () => ({ ok: true }));
    app.get('/items/:id', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await app.close();
  });

  it('refuses a JSON body nested 5,000 deep (10 KB) with 400 json_too_deep, not a 500', async () => {
    for (const depth of [5_000, 100_000]) {
      for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
        const payload = `{"x":${open.repeat(depth)}1${close.repeat(depth)}}`;
        assertProblem(await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload }), 400, 'json_too_deep');
      }
    }
  });

  it('accepts nesting up to the limit, and brackets inside strings do not count', async () => {
    const ok = (payload: string) => app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });
    assert.equal((await ok(`{"x":${'['.repeat(60)}${']'.repeat(60)}}`)).statusCode, 200);
    assert.equal((await ok(JSON.stringify({ x: '[[[[{{{{'.repeat(5_000), y: '\\"[[[' }))).statusCode, 200);
  });

  it('answers a path parameter over the length limit with 414 uri_too_long, without echoing the path', async () => {
    const response = await app.inject({ method: 'GET', url: `/items/${CANARY.repeat(20)}` });
    assertProblem(response, 414, 'uri_too_long');
    assert.ok(!response.body.includes(CANARY));
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });

  it('answers a path that does not decode with 400 invalid_request, without echoing it', async () => {
    const response = await app.inject({ method: 'GET', url: `/items/${CANARY}%E0%A4%A` });
    assertProblem(response, 400, 'invalid_request');
    assert.ok(!response.body.includes(CANARY));
  });

  it('answers framing Node cannot parse with a 400 problem on the socket', async () => {
    assertRawProblem(await raw(port, [`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${CANARY}\r\n\r\n`]), 400, 'invalid_request');
    assertRawProblem(await raw(port, [`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`]), 400, 'invalid_request');
    assertRawProblem(await raw(port, [`G@T /${CANARY} HTTP/1.1\r\nHost: x\r\n\r\n`]), 400, 'invalid_request');
    assertRawProblem(await raw(port, [`GET /${CANARY} HTTP/1.1\r\nHost: x\r\nBad Header: ${CANARY}\r\n\r\n`]), 400, 'invalid_request');
  });

  it('answers headers over the size limit with a 431 problem on the socket', async () => {
    assertRawProblem(await raw(port, [`GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${CANARY.repeat(2_000)}\r\n\r\n`]), 431, 'headers_too_large');
    assertRawProblem(await raw(port, [`GET /${CANARY.repeat(2_000)} HTTP/1.1\r\nHost: x\r\n\r\n`]), 431, 'headers_too_large');
  });

  it('answers an HTTP/1.1 request without Host, and an unsupported Expect, with problems', async () => {
    assertRawProblem(await raw(port, ['GET /items/1 HTTP/1.1\r\nConnection: close\r\n\r\n']), 400, 'invalid_request');
    assertRawProblem(await raw(port, [`POST /echo HTTP/1.1\r\nHost: x\r\nExpect: ${CANARY}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`]), 417, 'expectation_failed');
  });

  it('closes a connection that stops mid-headers within the headers timeout, with a 408 problem', async () => {
    const response = await raw(port, ['GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Half: '], {});
    assertRawProblem(response, 408, 'request_timeout');
    assert.ok(response.closedAfterMs < 2_000, `closed after ${Math.round(response.closedAfterMs)} ms`);
  });

  it('closes a connection that dribbles its body past the request timeout', async () => {
    const body = `{"a":"${'x'.repeat(40)}"}`;
    const chunks = [`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, ...body.slice(0, 20).split('')];
    const response = await raw(port, chunks, { gapMs: 100 });
    assert.ok(response.closedAfterMs < 2_500, `closed after ${Math.round(response.closedAfterMs)} ms`);
    assert.ok(response.status === 408 || Number.isNaN(response.status), `status ${response.status}`);
  });

  it('the plain-HTTP redirect listener answers framing it cannot parse with a problem too', async () => {
    const redirect = createRedirectServer('https://parapet.example');
    await new Promise<void>((resolve) => redirect.listen(0, '127.0.0.1', resolve));
    try {
      const address = redirect.address();
      const redirectPort = typeof address === 'object' && address !== null ? address.port : 0;
      assertRawProblem(await raw(redirectPort, [`GET /${CANARY} HTTP/1.1\r\nHost: x\r\nContent-Length: ${CANARY}\r\n\r\n`]), 400, 'invalid_request');
      assertRawProblem(await raw(redirectPort, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${CANARY.repeat(2_000)}\r\n\r\n`]), 431, 'headers_too_large');
    } finally {
      await new Promise((resolve) => redirect.close(resolve));
    }
  });
});
