// Shared set-up for the OpenID Provider tests: a running Parapet on loopback, an organization with
// an environment and applications, and a minimal browser (cookie jar, manual redirects) that signs in
// through the hosted sign-in page.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import * as oidc from 'openid-client';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { freePort } from '../../../test/support/ports.ts';
import { seedOrg, type OrgFixture } from '../oauth/oauth-test-fixture.ts';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface Running {
  readonly t: TestApp;
  readonly issuer: string;
  readonly org: OrgFixture;
  readonly environmentId: string;
}

export async function startProvider(label: string, env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const t = await createTestApp({ env: { PARAPET_PORT: String(port), PARAPET_PUBLIC_URL: issuer, ...env } });
  await t.app.http.listen({ port, host: '127.0.0.1' });
  const org = await seedOrg(t, label);
  const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments`, payload: { name: 'production', kind: 'production' }, headers: { cookie: org.cookie } });
  assert.equal(created.statusCode, 201, created.body);
  return { t, issuer, org, environmentId: created.json<{ id: string }>().id };
}

export interface CreatedApplication {
  readonly client_id: string;
  readonly client_secret?: string;
}

export async function createApplication(r: Running, body: Record<string, unknown> = {}, org: OrgFixture = r.org, environmentId = r.environmentId) {
  return r.t.inject({
    method: 'POST',
    url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${environmentId}/applications`,
    payload: { name: 'Example app', client_type: 'confidential', first_party: true, redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: ['http://127.0.0.1:9/bye'], ...body },
    headers: { cookie: org.cookie },
  });
}

export async function application(r: Running, body: Record<string, unknown> = {}): Promise<CreatedApplication> {
  const response = await createApplication(r, body);
  assert.equal(response.statusCode, 201, response.body);
  return response.json<CreatedApplication>();
}

export async function discover(r: Running, app: CreatedApplication): Promise<oidc.Configuration> {
  const auth = app.client_secret === undefined ? oidc.None() : oidc.ClientSecretBasic(app.client_secret);
  // Plain http on loopback, for these tests only.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return oidc.discovery(new URL(r.issuer), app.client_id, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

/** A browser: a cookie jar and manual redirects, so each hop can be seen. */
export class Browser {
  readonly jar = new Map<string, string>();
  readonly origin: string;
  constructor(origin: string) {
    this.origin = origin;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['origin'] = this.origin;
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(new URL(url, this.origin), { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  /** Follows redirects from `url` until one leaves the provider (returned) or a page answers (returned). */
  async follow(url: string, init: { form?: Record<string, string> } = {}): Promise<{ url: string; response: Response }> {
    let response = await this.request(url, init);
    let current = new URL(url, this.origin).href;
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = response.headers.get('location') ?? '';
      current = new URL(location, current).href;
      if (!current.startsWith(this.origin)) return { url: current, response };
      response = await this.request(current);
    }
    return { url: current, response };
  }
}

/** Starts an authorization request and signs in on the hosted page; returns the callback URL. */
export async function signIn(r: Running, browser: Browser, authorizationUrl: URL, email: string): Promise<string> {
  const first = await browser.follow(authorizationUrl.href);
  if (!first.url.startsWith(r.issuer)) return first.url;
  assert.equal(first.response.status, 200, await first.response.clone().text());
  const page = await first.response.text();
  const action = /action="([^"]+\/login)"/.exec(page)?.[1];
  assert.ok(action, page);
  const done = await browser.follow(action, { form: { email, password: TEST_PASSWORD } });
  return done.url;
}

export async function newUser(r: Running, label: string): Promise<string> {
  const email = `${label}-${crypto.randomUUID()}@example.com`;
  await r.t.createUser(email, TEST_PASSWORD);
  return email;
}

export async function authorizationRequest(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid email offline_access', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...extra });
  return { url, verifier, state, nonce };
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, `offsetSteps` steps from now. */
export function totpCode(secret: string, offsetSteps: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offsetSteps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Enrols an authenticator app for `email` through the API (a session of its own); returns the TOTP secret. */
export async function enrolTotp(r: Running, email: string): Promise<string> {
  const cookie = await r.t.login(email, TEST_PASSWORD);
  const started = await r.t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie, origin: r.issuer } });
  assert.equal(started.statusCode, 201, started.body);
  const { secret } = started.json<{ secret: string }>();
  const confirmed = await r.t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totpCode(secret, 0) }, headers: { cookie, origin: r.issuer } });
  assert.equal(confirmed.statusCode, 200, confirmed.body);
  return secret;
}
