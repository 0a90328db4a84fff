import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type Running } from './openid-test-fixture.ts';

describe('Parapet as an OpenID Provider, driven by openid-client over loopback', () => {
  let r: Running;
  before(async () => {
    r = await startProvider('op');
  });
  after(async () => {
    await r.t.close();
  });

  it('publishes discovery metadata at the issuer root: code flow, S256 only, EdDSA and RS256 ID tokens', async () => {
    const response = await fetch(`${r.issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata['issuer'], r.issuer);
    assert.equal(metadata['authorization_endpoint'], `${r.issuer}/oidc/auth`);
    assert.deepEqual(metadata['code_challenge_methods_supported'], ['S256']);
    assert.deepEqual(metadata['response_types_supported'], ['code']);
    assert.deepEqual(metadata['id_token_signing_alg_values_supported'], ['EdDSA', 'RS256']);
    assert.equal(metadata['authorization_response_iss_parameter_supported'], true);
    assert.ok(typeof metadata['end_session_endpoint'] === 'string');
    assert.ok(typeof metadata['pushed_authorization_request_endpoint'] === 'string');
  });

  it('signs a user in through the hosted page: code + PKCE, ID token, userinfo, refresh, RP-initiated logout', async () => {
    const app = await application(r);
    const config = await discover(r, app);
    const email = await newUser(r, 'rp');
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const callback = await signIn(r, browser, request.url, email);
    assert.ok(callback.startsWith('http://127.0.0.1:9/callback?'), callback);
    // RFC 9207: the response names its issuer.
    assert.equal(new URL(callback).searchParams.get('iss'), r.issuer);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.iss, r.issuer);
    assert.equal(claims.aud, app.client_id);
    assert.equal(claims['email'], email);
    assert.deepEqual(claims['amr'], ['pwd']);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.email, email);

    assert.ok(tokens.refresh_token);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

    // A second sign-in with the same browser needs no password (the Parapet session).
    const again = await authorizationRequest(config);
    const silent = await browser.follow(again.url.href);
    assert.ok(silent.url.startsWith('http://127.0.0.1:9/callback?code='), silent.url);

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'http://127.0.0.1:9/bye' });
    const confirm = await browser.follow(logout.href);
    assert.equal(confirm.response.status, 200);
    const form = await confirm.response.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
    assert.ok(xsrf, form);
    const done = await browser.follow(`${r.issuer}/oidc/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
    assert.ok(done.url.startsWith('http://127.0.0.1:9/bye'), done.url);
  });

  it('max_age=0 and prompt=login show the sign-in form again despite a live Parapet session; prompt=none does not', async () => {
    const app = await application(r);
    const config = await discover(r, app);
    const email = await newUser(r, 'reauth');
    const browser = new Browser(r.issuer);
    const first = await authorizationRequest(config);
    assert.ok((await signIn(r, browser, first.url, email)).startsWith('http://127.0.0.1:9/callback?code='));
    for (const extra of [{ max_age: '0' }, { prompt: 'login' }]) {
      const request = await authorizationRequest(config, extra);
      const answer = await browser.follow(request.url.href);
      assert.ok(answer.url.startsWith(r.issuer), `${JSON.stringify(extra)}: ${answer.url}`);
      assert.match(await answer.response.text(), /name="password"/);
    }
    const none = await authorizationRequest(config, { prompt: 'none' });
    assert.ok((await browser.follow(none.url.href)).url.startsWith('http://127.0.0.1:9/callback?code='));
  });

  it('PAR (RFC 9126): a pushed request signs in through request_uri alone; the request_uri is single-use; an unregistered redirect_uri is refused at the push', async () => {
    const app = await application(r);
    const config = await discover(r, app);
    const email = await newUser(r, 'par');
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: REDIRECT_URI, scope: 'openid email', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
    // The front channel carries only client_id and the request_uri: nothing to tamper with.
    assert.match(url.searchParams.get('request_uri') ?? '', /^urn:ietf:params:oauth:request_uri:/);
    assert.equal(url.searchParams.get('code_challenge'), null);
    assert.equal(url.searchParams.get('redirect_uri'), null);
    const callback = await signIn(r, new Browser(r.issuer), url, email);
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    assert.equal(tokens.claims()?.['email'], email);
    // The request_uri was consumed: a second browser using it gets no code.
    const again = await new Browser(r.issuer).follow(url.href);
    assert.equal(new URL(again.url).searchParams.get('code'), null, again.url);
    // The push itself checks the redirect URI exactly.
    const pushed = await fetch(`${r.issuer}/oidc/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret ?? ''}`).toString('base64')}` },
      body: new URLSearchParams({ client_id: app.client_id, response_type: 'code', scope: 'openid', redirect_uri: `${REDIRECT_URI}/evil`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).toString(),
    });
    const refused = (await pushed.json()) as { error: string; error_description?: string };
    assert.equal(pushed.status, 400, JSON.stringify(refused));
    assert.ok(['invalid_redirect_uri', 'invalid_request'].includes(refused.error) && /redirect_uri/.test(refused.error_description ?? ''), JSON.stringify(refused));
  });

  it('require_pushed_authorization_requests: an application that requires PAR gets no code from a plain authorization request', async () => {
    const app = await application(r, { require_pushed_authorization_requests: true });
    const config = await discover(r, app);
    const email = await newUser(r, 'par-required');
    const browser = new Browser(r.issuer);
    const plain = await authorizationRequest(config);
    const refused = await browser.follow(plain.url.href);
    assert.equal(new URL(refused.url).searchParams.get('code'), null, refused.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st' });
    const callback = await signIn(r, browser, url, email);
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
  });
});
