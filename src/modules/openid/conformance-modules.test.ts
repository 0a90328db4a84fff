// The OpenID Foundation's Basic OP test modules that no other test of the module exercises, each
// as the suite drives it (docs/oidc.md maps every Basic and Config OP module to its test). The
// conformance suite itself cannot run here; openid-client is the relying party, over a real socket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type Running } from './openid-test-fixture.ts';

describe('OpenID Foundation Basic OP modules (docs/oidc.md)', () => {
  let r: Running;
  let config: oidc.Configuration;
  let browser: Browser;
  before(async () => {
    r = await startProvider('conformance');
    config = await discover(r, await application(r));
    browser = new Browser(r.issuer);
    // A live session in `browser`, as the suite's browser has after oidcc-server.
    const first = await authorizationRequest(config);
    assert.ok((await signIn(r, browser, first.url, await newUser(r, 'conformance'))).startsWith(`${REDIRECT_URI}?code=`));
  });
  after(async () => {
    await r.t.close();
  });

  /** Runs an authorization request in the signed-in browser; the callback URL. */
  async function authorize(extra: Record<string, string>, drop: readonly string[] = []) {
    const request = await authorizationRequest(config, extra);
    for (const name of drop) request.url.searchParams.delete(name);
    const answer = await browser.follow(request.url.href);
    return { request, callback: new URL(answer.url) };
  }

  async function exchange(request: Awaited<ReturnType<typeof authorizationRequest>>, callback: URL, withNonce = true) {
    return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, ...(withNonce ? { expectedNonce: request.nonce } : {}) });
  }

  it('oidcc-response-type-missing: no response_type is an error sent to the redirect URI (unsupported_response_type or invalid_request), no code', async () => {
    const { callback } = await authorize({}, ['response_type']);
    assert.equal(callback.searchParams.get('code'), null, callback.href);
    assert.ok(['invalid_request', 'unsupported_response_type'].includes(callback.searchParams.get('error') ?? ''), callback.href);
  });

  it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow: a code request without nonce gets a code and an ID token without nonce', async () => {
    const { request, callback } = await authorize({}, ['nonce']);
    assert.ok(callback.searchParams.get('code'), callback.href);
    const tokens = await exchange(request, callback, false);
    assert.equal(tokens.claims()?.['nonce'], undefined);
  });

  it('oidcc-userinfo-get, -post-header, -post-body: the access token works as a header on GET and POST and as a form field on POST', async () => {
    const { request, callback } = await authorize({});
    const tokens = await exchange(request, callback);
    const sub = tokens.claims()?.sub;
    const get = await fetch(`${r.issuer}/oidc/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const postHeader = await fetch(`${r.issuer}/oidc/me`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    const postBody = await fetch(`${r.issuer}/oidc/me`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: tokens.access_token }).toString() });
    for (const response of [get, postHeader, postBody]) {
      assert.equal(response.status, 200);
      assert.equal((await response.json() as { sub: string }).sub, sub);
    }
  });

  it('oidcc-scope-address, -phone, -all, oidcc-ensure-other-scope-order-succeeds: scopes the provider does not offer are ignored, any order is fine', async () => {
    for (const scope of ['openid address', 'openid phone', 'openid profile email address phone', 'email openid']) {
      const { request, callback } = await authorize({ scope });
      assert.ok(callback.searchParams.get('code'), `${scope}: ${callback.href}`);
      const tokens = await exchange(request, callback);
      assert.ok(tokens.claims()?.sub, scope);
      assert.equal(tokens.claims()?.['phone_number'], undefined);
      assert.equal(tokens.claims()?.['address'], undefined);
    }
  });

  it('oidcc-display-page, -popup, oidcc-ui-locales, oidcc-claims-locales, oidcc-login-hint, oidcc-ensure-request-with-unknown-parameter-succeeds, oidcc-ensure-request-with-acr-values-succeeds: accepted, a code issued', async () => {
    for (const extra of [{ display: 'page' }, { display: 'popup' }, { ui_locales: 'se' }, { claims_locales: 'se' }, { login_hint: 'someone@example.com' }, { extra: 'foobar' }, { acr_values: 'urn:parapet:acr:pwd' }]) {
      const { request, callback } = await authorize(extra);
      assert.ok(callback.searchParams.get('code'), `${JSON.stringify(extra)}: ${callback.href}`);
      assert.ok((await exchange(request, callback)).access_token);
    }
  });

  it('oidcc-max-age-10000: a recent sign-in meets max_age=10000 without a new one; auth_time is in the ID token', async () => {
    const { request, callback } = await authorize({ max_age: '10000' });
    assert.ok(callback.searchParams.get('code'), callback.href);
    const claims = (await exchange(request, callback)).claims();
    assert.equal(typeof claims?.auth_time, 'number');
  });

  it('oidcc-id-token-hint: an earlier ID token as id_token_hint with prompt=none signs the same user in silently', async () => {
    const first = await authorize({});
    const earlier = await exchange(first.request, first.callback);
    const { request, callback } = await authorize({ prompt: 'none', id_token_hint: earlier.id_token ?? '' });
    assert.ok(callback.searchParams.get('code'), callback.href);
    assert.equal((await exchange(request, callback)).claims()?.sub, earlier.claims()?.sub);
  });

  it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported, oidcc-ensure-request-object-with-redirect-uri: request objects are rejected as unsupported (request_not_supported)', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ response_type: 'code', client_id: 'x', scope: 'openid' })).toString('base64url')}.`;
    const { callback } = await authorize({ request: unsigned });
    assert.equal(callback.searchParams.get('code'), null, callback.href);
    assert.equal(callback.searchParams.get('error'), 'request_not_supported', callback.href);
  });

  it('oidcc-claims-essential: the claims parameter is not supported and is ignored; the request still gets a code', async () => {
    const { request, callback } = await authorize({ claims: JSON.stringify({ userinfo: { name: { essential: true } } }) });
    assert.ok(callback.searchParams.get('code'), callback.href);
    assert.ok((await exchange(request, callback)).access_token);
  });
});
