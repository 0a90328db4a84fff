import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { PLATFORM_ERRORS } from './errors.ts';

describe('HTTP platform', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('sends security headers on every response, API or page, success or error', async () => {
    for (const url of ['/healthz', '/api/v1/organizations', '/login', '/nope']) {
      const response = await t.inject({ method: 'GET', url });
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/, url);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(response.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(response.headers['x-frame-options'], 'DENY', url);
      assert.equal(response.headers['strict-transport-security'], undefined, `${url}: no HSTS over plain http`);
    }
  });

  it('gives every response a request id that matches the problem body', async () => {
    const response = await t.inject({ method: 'GET', url: '/api/v1/organizations' });
    const body = assertProblem(response, 401, 'unauthenticated');
    assert.equal(body['request_id'], response.headers['x-request-id']);
    assert.equal(body['type'], 'urn:parapet:problem:unauthenticated');
  });

  it('does not trust a client-supplied request id', async () => {
    const response = await t.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'attacker-chosen' } });
    assert.notEqual(response.headers['x-request-id'], 'attacker-chosen');
  });

  it('answers unknown routes with a 404 problem', async () => {
    assertProblem(await t.inject({ method: 'GET', url: '/no/such/page' }), 404, 'not_found');
  });

  it('marks API responses uncacheable', async () => {
    const response = await t.inject({ method: 'GET', url: '/api/v1/organizations' });
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('/healthz and /readyz answer; /readyz checks the database', async () => {
    assert.deepEqual((await t.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    assert.deepEqual((await t.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' });
  });

  it('/metrics serves Prometheus text to loopback clients only', async () => {
    const local = await t.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    assert.equal(local.statusCode, 200);
    assert.match(local.body, /parapet_http_requests_total/);
    assertProblem(await t.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' }), 403, 'forbidden');
  });

  it('marks every public operation in the OpenAPI document with an empty security requirement, and only those', async () => {
    const doc = (await t.inject({ method: 'GET', url: '/openapi.json' })).json<{ security?: unknown[]; paths: Record<string, Record<string, { security?: unknown[] }>> }>();
    assert.ok((doc.security ?? []).length > 0, 'the document requires authentication by default');
    assert.deepEqual(doc.paths['/api/v1/permissions']?.['get']?.security, []);
    assert.deepEqual(doc.paths['/api/v1/auth/login']?.['post']?.security, []);
    let publicRoutes = 0;
    for (const route of t.app.http.parapetRoutes) {
      const operation = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      if (operation === undefined) continue;
      const isPublic = route.permission === 'public' || route.auth === 'public';
      if (isPublic) publicRoutes++;
      assert.deepEqual(operation.security, isPublic ? [] : undefined, `${route.method} ${route.url}`);
    }
    assert.ok(publicRoutes >= 10, `${publicRoutes} public operations`);
  });

  it('serves an OpenAPI 3.1 document listing every /api/v1 route with schemas, and a readable reference', async () => {
    const doc = (await t.inject({ method: 'GET', url: '/openapi.json' })).json<{ openapi: string; paths: Record<string, Record<string, { responses?: object; summary?: string }>> }>();
    assert.equal(doc.openapi, '3.1.0');
    const apiPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/'));
    assert.ok(apiPaths.length >= 8);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        assert.ok(op.summary, `${method} ${path} has no summary`);
        assert.ok(op.responses, `${method} ${path} has no responses`);
      }
    }
    const api = t.app.http.parapetRoutes.filter((route) => route.url.startsWith('/api/v1/'));
    assert.ok(api.length >= 15);
    for (const route of api) {
      assert.ok(route.hasSchema && route.hasResponseSchema, `${route.method} ${route.url} declares no schema`);
      const openApiPath = route.url.replace(/:(\w+)/g, '{$1}');
      assert.ok(doc.paths[openApiPath]?.[route.method.toLowerCase()], `${route.method} ${route.url} missing from OpenAPI`);
    }
    const page = await t.inject({ method: 'GET', url: '/docs/api' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /\/api\/v1\/organizations\/\{orgId\}\/projects/);
  });

  it('every status in the platform error catalogue is a 4xx or 5xx and codes are snake_case', () => {
    for (const [code, entry] of Object.entries(PLATFORM_ERRORS)) {
      assert.match(code, /^[a-z]+(?:_[a-z]+)*$/);
      assert.ok(entry.status >= 400 && entry.status < 600);
    }
  });
});

describe('per-IP rate limit', () => {
  it('answers 429 with Retry-After once an address spends its budget, other addresses unaffected', async () => {
    const t = await createTestApp({ env: { PARAPET_RATE_LIMIT: '5', PARAPET_AUTH_RATE_LIMIT: '2' } });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await t.inject({ method: 'GET', url: '/healthz', remoteAddress: '198.51.100.1' })).statusCode, 200);
      const limited = await t.inject({ method: 'GET', url: '/healthz', remoteAddress: '198.51.100.1' });
      assertProblem(limited, 429, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal((await t.inject({ method: 'GET', url: '/healthz', remoteAddress: '198.51.100.2' })).statusCode, 200);

      const login = () => t.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '198.51.100.3', payload: { email: 'x@example.com', password: 'y'.repeat(12) } });
      assertProblem(await login(), 401, 'invalid_credentials');
      assertProblem(await login(), 401, 'invalid_credentials');
      assertProblem(await login(), 429, 'rate_limited');
    } finally {
      await t.close();
    }
  });
});
