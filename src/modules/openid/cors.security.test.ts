// CORS for single-page apps (issue 17): a browser app on one of its application's web origins (the
// origins of its redirect URIs) may read the token, userinfo and revocation answers; any other
// origin — another site, a look-alike, `null` — gets no Access-Control-Allow-Origin and no answer,
// and nothing is ever allowed with credentials. Requests are sent over a real socket with the Origin
// header a browser would send.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const APP_ORIGIN = new URL(REDIRECT_URI).origin;
const FOREIGN = ['https://evil.example', 'http://127.0.0.1:90', 'https://127.0.0.1:9', `${APP_ORIGIN}.evil.example`, 'null', '*'];

describe('CORS on the provider endpoints: only the application\u2019s own web origins', () => {
  let r: Running;
  let spa: CreatedApplication;
  let spaConfig: oidc.Configuration;
  before(async () => {
    r = await startProvider('cors');
    spa = await application(r, { client_type: 'public' });
    spaConfig = await discover(r, spa);
  });
  after(async () => {
    await r.t.close();
  });

  /** A code for the SPA, and the PKCE verifier that goes with it. */
  async function code(config = spaConfig) {
    const request = await authorizationRequest(config);
    const callback = new URL(await signIn(r, new Browser(r.issuer), request.url, await newUser(r, 'cors')));
    const value = callback.searchParams.get('code');
    assert.ok(value, callback.href);
    return { code: value, verifier: request.verifier };
  }

  function post(path: string, origin: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return fetch(`${r.issuer}${path}`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  }

  const exchange = (origin: string, grant: { code: string; verifier: string }, clientId = spa.client_id) =>
    post('/oidc/token', origin, { grant_type: 'authorization_code', code: grant.code, code_verifier: grant.verifier, redirect_uri: REDIRECT_URI, client_id: clientId });

  function assertNoCors(response: Response, label: string) {
    assert.equal(response.headers.get('access-control-allow-origin'), null, label);
    assert.equal(response.headers.get('access-control-allow-credentials'), null, label);
  }

  it('a foreign origin cannot read a token answer, and its attempt leaves the code usable by the app\u2019s own origin', async () => {
    const grant = await code();
    for (const origin of FOREIGN) {
      const refused = await exchange(origin, grant);
      assert.equal(refused.status, 400, origin);
      assert.equal((await refused.json() as { error: string }).error, 'invalid_request', origin);
      assertNoCors(refused, origin);
    }
    const allowed = await exchange(APP_ORIGIN, grant);
    assert.equal(allowed.status, 200, await allowed.clone().text());
    assert.equal(allowed.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null, 'never with credentials');
    assert.match(allowed.headers.get('vary') ?? '', /origin/i);
    const tokens = await allowed.json() as { access_token: string; refresh_token: string; id_token: string };
    assert.ok(tokens.id_token);

    // Userinfo with the access token: the app's origin reads it, another cannot.
    const me = (origin: string) => fetch(`${r.issuer}/oidc/me`, { headers: { origin, authorization: `Bearer ${tokens.access_token}` } });
    const ok = await me(APP_ORIGIN);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP_ORIGIN);
    for (const origin of FOREIGN) {
      const refused = await me(origin);
      assert.notEqual(refused.status, 200, origin);
      assertNoCors(refused, origin);
    }

    // Revocation of the refresh token: the same rule.
    const foreignRevoke = await post('/oidc/token/revocation', 'https://evil.example', { token: tokens.refresh_token, client_id: spa.client_id });
    assertNoCors(foreignRevoke, 'revocation');
    assert.equal(foreignRevoke.status, 400);
    const revoked = await post('/oidc/token/revocation', APP_ORIGIN, { token: tokens.refresh_token, client_id: spa.client_id });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.headers.get('access-control-allow-origin'), APP_ORIGIN);
  });

  it('a confidential application is refused from a browser even on its own origin (its secret never belongs in one)', async () => {
    const confidential = await application(r);
    const config = await discover(r, confidential);
    const grant = await code(config);
    const basic = `Basic ${Buffer.from(`${confidential.client_id}:${confidential.client_secret ?? ''}`).toString('base64')}`;
    const refused = await post('/oidc/token', APP_ORIGIN, { grant_type: 'authorization_code', code: grant.code, code_verifier: grant.verifier, redirect_uri: REDIRECT_URI }, { authorization: basic });
    assert.equal(refused.status, 400);
    assertNoCors(refused, 'confidential');
    // Its backend (no Origin) still exchanges the code.
    const backend = await fetch(`${r.issuer}/oidc/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: grant.code, code_verifier: grant.verifier, redirect_uri: REDIRECT_URI }).toString() });
    assert.equal(backend.status, 200, await backend.clone().text());
  });

  it('another application\u2019s origin is not this application\u2019s', async () => {
    const other = await application(r, { client_type: 'public', redirect_uris: ['https://other-app.example/cb'] });
    assert.ok(other.client_id);
    const grant = await code();
    const refused = await exchange('https://other-app.example', grant);
    assert.equal(refused.status, 400);
    assertNoCors(refused, 'other app');
  });

  it('discovery and the key set are public documents: readable from any origin, never with credentials', async () => {
    for (const path of ['/.well-known/openid-configuration', '/oidc/jwks']) {
      const response = await fetch(`${r.issuer}${path}`, { headers: { origin: 'https://any-spa.example' } });
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://any-spa.example', path);
      assert.equal(response.headers.get('access-control-allow-credentials'), null, path);
    }
  });

  it('the authorization and logout endpoints keep the platform\u2019s origin check (they act on the session cookie)', async () => {
    const response = await post('/oidc/session/end', 'https://evil.example', { client_id: spa.client_id });
    assert.equal(response.status, 403);
    assert.equal((await response.json() as { code: string }).code, 'origin_mismatch');
  });
});
