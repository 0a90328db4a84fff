import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { seedOrg } from '../oauth/oauth-test-fixture.ts';
import { application, authorizationRequest, Browser, createApplication, discover, newUser, REDIRECT_URI, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

describe('OpenID Provider: attacks on the code flow', () => {
  let r: Running;
  let app: CreatedApplication;
  let config: oidc.Configuration;
  let email: string;
  before(async () => {
    r = await startProvider('op-sec');
    app = await application(r);
    config = await discover(r, app);
    email = await newUser(r, 'victim');
  });
  after(async () => {
    await r.t.close();
  });

  /** The authorization endpoint's answer to `params` (no sign-in): where it redirects, if anywhere. */
  async function authorize(params: Record<string, string>): Promise<{ status: number; location: string | null }> {
    const url = new URL(`${r.issuer}/oidc/auth`);
    for (const [k, v] of Object.entries({ client_id: app.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 'st', ...params })) url.searchParams.set(k, v);
    const response = await fetch(url, { redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location') };
  }

  it('refuses an authorization request without PKCE, even from a confidential client (RFC 9700 §2.1.1)', async () => {
    const answer = await authorize({});
    assert.ok(answer.location?.startsWith(`${REDIRECT_URI}?`), String(answer.location));
    const params = new URL(answer.location ?? '').searchParams;
    assert.equal(params.get('error'), 'invalid_request');
    assert.match(params.get('error_description') ?? '', /PKCE/);
  });

  it('refuses the plain PKCE method (downgrade)', async () => {
    const answer = await authorize({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    assert.equal(new URL(answer.location ?? 'http://x').searchParams.get('error'), 'invalid_request');
  });

  for (const [label, uri] of [
    ['a prefix of', 'http://127.0.0.1:9/callback/evil'],
    ['another case of', 'http://127.0.0.1:9/CALLBACK'],
    ['a fragment on', 'http://127.0.0.1:9/callback#x'],
    ['a query on', 'http://127.0.0.1:9/callback?next=https://evil.example'],
    ['the userinfo trick on', 'http://127.0.0.1:9@evil.example/callback'],
    ['a trailing slash on', 'http://127.0.0.1:9/callback/'],
  ] as const) {
    it(`never redirects to ${label} the registered redirect URI`, async () => {
      const answer = await authorize({ redirect_uri: uri, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' });
      assert.equal(answer.location, null, `redirected to ${String(answer.location)}`);
      assert.equal(answer.status, 400);
    });
  }

  it('refuses a code exchanged without its verifier, or with another one', async () => {
    const request = await authorizationRequest(config);
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    const code = new URL(callback).searchParams.get('code') ?? '';
    const exchange = (extra: Record<string, string>) =>
      fetch(`${r.issuer}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret ?? ''}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...extra }).toString(),
      });
    const missing = await exchange({});
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_grant');
    const wrong = await exchange({ code_verifier: oidc.randomPKCECodeVerifier() });
    assert.equal(wrong.status, 400);
  });

  it('a replayed code is refused, revokes the tokens its first use issued, and is audited (oidc.code_replayed, oidc.token_issued)', async () => {
    const request = await authorizationRequest(config);
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    await assert.rejects(oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub ?? ''));
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''));
    // The organization's audit log (its inbox, before sequencing) has the exchange and the replay,
    // recorded from the provider's events in the background.
    type Event = { action: string; outcome: string; actor: { id: string | null }; targets: { id: string }[]; metadata: Record<string, string> };
    let events: Event[] = [];
    for (let tries = 0; tries < 50 && !events.some((event) => event.action === 'oidc.code_replayed'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rows = await r.t.transactor.withTenant(r.org.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
      events = rows.map((row) => (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as Event);
    }
    const replayed = events.find((event) => event.action === 'oidc.code_replayed');
    assert.equal(replayed?.outcome, 'failure');
    assert.equal(replayed.targets[0]?.id, app.client_id);
    const issued = events.find((event) => event.action === 'oidc.token_issued' && event.actor.id === tokens.claims()?.sub);
    assert.equal(issued?.metadata['grant_type'], 'authorization_code');
    assert.ok(!JSON.stringify(events).includes(tokens.access_token), 'no token in the audit log');
  });

  it("a revoked Parapet session's refresh token and access token are refused", async () => {
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const callback = await signIn(r, browser, request.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    // The user signs out of Parapet (ends the session the hosted sign-in opened).
    const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const sessions = await r.t.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie } });
    assert.equal(sessions.statusCode, 200, sessions.body);
    const current = sessions.json<{ items: { id: string; current: boolean }[] }>().items.find((s) => s.current);
    assert.ok(current);
    const ended = await r.t.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${current.id}`, headers: { cookie, origin: r.issuer } });
    assert.equal(ended.statusCode, 204, ended.body);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? ''), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub ?? ''));
    // prompt=none now answers login_required (the session is gone), never a code.
    const silent = await authorizationRequest(config, { prompt: 'none' });
    const answer = await browser.follow(silent.url.href);
    assert.equal(new URL(answer.url).searchParams.get('error'), 'login_required', answer.url);
  });

  it('prompt=none without any session answers login_required, the same for every user (no account oracle)', async () => {
    const request = await authorizationRequest(config, { prompt: 'none', login_hint: email });
    const answer = await new Browser(r.issuer).follow(request.url.href);
    assert.equal(new URL(answer.url).searchParams.get('error'), 'login_required');
    const other = await authorizationRequest(config, { prompt: 'none', login_hint: 'nobody@example.com' });
    const answer2 = await new Browser(r.issuer).follow(other.url.href);
    assert.equal(new URL(answer2.url).searchParams.get('error'), 'login_required');
  });

  it('a refresh token minted by a database writer (a copied row under an id of their choosing) is refused (MAC)', async () => {
    const request = await authorizationRequest(config);
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const victim = createHash('sha256').update(tokens.refresh_token ?? '').digest();
    const forged = `forged${oidc.randomState()}`;
    await r.t.transactor.withPlatform(async (tx) => {
      const row = await tx.selectFrom('oidc_artifacts').selectAll().where('kind', '=', 'RefreshToken').where('id_digest', '=', victim).executeTakeFirstOrThrow();
      await tx.insertInto('oidc_artifacts').values({ ...row, id_digest: createHash('sha256').update(forged).digest(), mac: Buffer.from(row.mac) }).execute();
    });
    await assert.rejects(oidc.refreshTokenGrant(config, forged), (error: Error & { error?: string }) => error.error === 'invalid_grant');
  });

  it('stores no code or token in the clear', async () => {
    const request = await authorizationRequest(config);
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    const code = new URL(callback).searchParams.get('code') ?? '';
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const dump = JSON.stringify(await r.t.transactor.withPlatform((tx) => tx.selectFrom('oidc_artifacts').select('payload').execute()));
    for (const secret of [code, tokens.access_token, tokens.refresh_token ?? 'none']) assert.ok(!dump.includes(secret));
  });

  it('alg:none: no unsigned algorithm is offered, and an unsigned token is refused at userinfo and logout', async () => {
    const metadata = config.serverMetadata();
    for (const [key, value] of Object.entries(metadata)) if (key.endsWith('alg_values_supported')) assert.ok(!(value as string[]).includes('none'), key);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: r.issuer, aud: app.client_id })).toString('base64url')}.`;
    const userinfo = await fetch(`${r.issuer}/oidc/me`, { headers: { authorization: `Bearer ${unsigned}` } });
    assert.equal(userinfo.status, 401);
    const logout = await fetch(`${r.issuer}/oidc/session/end?id_token_hint=${unsigned}&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/bye')}`, { redirect: 'manual' });
    assert.equal(logout.headers.get('location'), null);
    assert.equal(logout.status, 400);
  });

  it('post_logout_redirect_uri must be registered: no open redirect', async () => {
    const logout = await fetch(`${r.issuer}/oidc/session/end?client_id=${app.client_id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`, { redirect: 'manual' });
    assert.equal(logout.headers.get('location'), null);
    assert.equal(logout.status, 400);
  });

  it('the hosted sign-in page cannot be framed (clickjacking)', async () => {
    const request = await authorizationRequest(config);
    const page = await new Browser(r.issuer).follow(request.url.href);
    assert.equal(page.response.status, 200);
    assert.match(page.response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(page.response.headers.get('x-frame-options'), 'DENY');
  });

  it("TEN-1: another organization's administrator cannot read, list or delete the application, nor register one in a foreign environment", async () => {
    const b = await seedOrg(r.t, 'op-other');
    const base = `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/applications`;
    for (const [method, url] of [['GET', `${base}/${app.client_id}`], ['GET', base], ['DELETE', `${base}/${app.client_id}`]] as const) {
      const response = await r.t.inject({ method, url, headers: { cookie: b.cookie, origin: r.issuer } });
      assert.ok(response.statusCode === 403 || response.statusCode === 404, `${method} ${url}: ${response.statusCode}`);
    }
    // B's own URL naming A's environment: the environment is not in B's project.
    const foreign = await createApplication(r, {}, b, r.environmentId);
    assert.equal(foreign.statusCode, 404, foreign.body);
    // And B's URL with A's application id answers nothing.
    const envB = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${b.orgId}/projects/${b.projectId}/environments`, payload: { name: 'prod' }, headers: { cookie: b.cookie } });
    const probe = await r.t.inject({ method: 'GET', url: `/api/v1/organizations/${b.orgId}/projects/${b.projectId}/environments/${envB.json<{ id: string }>().id}/applications/${app.client_id}`, headers: { cookie: b.cookie } });
    assert.equal(probe.statusCode, 404);
  });

  it('refuses redirect URIs with a fragment, userinfo or plain http off loopback at registration', async () => {
    for (const uri of ['https://app.example/cb#x', 'https://user@app.example/cb', 'http://app.example/cb', 'javascript:alert(1)']) {
      const response = await createApplication(r, { redirect_uris: [uri] });
      assert.equal(response.statusCode, 400, `${uri}: ${response.body}`);
      assert.equal(response.json<{ code: string }>().code, 'invalid_request');
      assert.ok(!response.body.includes(uri), 'echoed the input');
    }
  });
});
