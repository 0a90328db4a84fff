// Helpers for the user-token tests: sign in as an API client, refresh, call the API with a bearer token.
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';

export interface Pair {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

/** A new user; returns the email and id. */
export async function newUser(t: TestApp, label: string): Promise<{ email: string; userId: string }> {
  const email = `${label}-${crypto.randomUUID()}@example.com`;
  const user = await t.createUser(email, TEST_PASSWORD);
  return { email, userId: user.id };
}

/** Signs in with `response_type: "token"`; asserts 200 and returns the pair. */
export async function tokenLogin(t: TestApp, email: string, extra: Record<string, string> = {}): Promise<Pair> {
  const response = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, response_type: 'token', ...extra } });
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  return response.json<Pair>();
}

/** POST /api/v1/auth/token with grant_type=refresh_token, as JSON or form. */
export function refresh(t: TestApp, token: string, form = false) {
  return form
    ? t.inject({ method: 'POST', url: '/api/v1/auth/token', payload: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : t.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: token } });
}

/** GET /api/v1/auth/session with a bearer access token. */
export function me(t: TestApp, accessToken: string) {
  return t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${accessToken}` } });
}

/** The session id (`sid`) an access token is bound to. */
export function sidOf(accessToken: string): string {
  const sid = decodeJwt(accessToken)['sid'];
  assert.equal(typeof sid, 'string');
  return sid as string;
}

/** The issuer and audience a test app's tokens carry. */
export function expectedClaims(t: TestApp): { issuer: string; audience: string } {
  return { issuer: t.config.publicUrl, audience: `${t.config.publicUrl}/api` };
}

/** Sequenced platform audit events with `action`, parsed. */
export async function platformEvents(t: TestApp, action: string): Promise<{ targets: { type: string; id: string }[]; metadata: Record<string, unknown> }[]> {
  await t.app.services.audit.apiCalls.flush();
  await t.app.services.audit.sequencer.drain();
  const tenant = '00000000-0000-0000-0000-000000000000';
  const rows = await t.transactor.withTenant(tenant, (tx) => tx.selectFrom('audit_events').select('canonical').where('tenant_id', '=', tenant).where('action', '=', action).execute());
  return rows.map((row) => JSON.parse(Buffer.from(row.canonical).toString('utf8')) as never);
}
