import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';

/** Asserts an RFC 9457 problem response with the given status and code; returns the body. */
export function assertProblem(response: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(response.statusCode, status, `expected ${status} ${code}, got ${response.statusCode}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json<Record<string, unknown>>();
  assert.equal(body['code'], code);
  assert.equal(body['status'], status);
  assert.equal(typeof body['request_id'], 'string');
  return body;
}
