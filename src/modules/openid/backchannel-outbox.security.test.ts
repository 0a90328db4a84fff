// The durable back-channel logout outbox (issue 17): a notice queued by one Parapet instance is
// delivered by another on the same database; private addresses are refused; RP-initiated logout
// goes through the same outbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { Receiver } from './backchannel-receiver.ts';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP } from './backchannel-logout.ts';
import { application, authorizationRequest, Browser, newUser, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const JOB = 'openid back-channel logout outbox';
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OpenID back-channel logout through the durable outbox', () => {
  let r: Running;
  const receiver = new Receiver();
  const env = { PARAPET_OIDC_BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' };
  let second: TestApp | undefined;

  before(async () => {
    await receiver.start();
    r = await startProvider('op-outbox', env);
  });
  after(async () => {
    await second?.close();
    await r.t.close();
    await receiver.close();
  });

  async function discoverFor(app: CreatedApplication, alg: 'EdDSA' | 'RS256') {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, for these tests only
    return oidc.discovery(new URL(r.issuer), app.client_id, { id_token_signed_response_alg: alg }, oidc.ClientSecretBasic(app.client_secret ?? ''), { execute: [oidc.allowInsecureRequests] });
  }

  async function signedIn(config: oidc.Configuration, email: string) {
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const callback = await signIn(r, browser, request.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const sessions = await r.t.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie } });
    const current = sessions.json<{ items: { id: string; current: boolean }[] }>().items.find((s) => s.current);
    assert.ok(current);
    return { browser, tokens, claims: tokens.claims(), cookie, sessionId: current.id };
  }

  const outbox = (t: TestApp) => t.transactor.withPlatform((tx) => tx.selectFrom('oidc_backchannel_outbox').selectAll().execute());

  it('a private address is refused by the address guard: nothing is sent, the notice waits for a retry', async () => {
    const app = await application(r, { backchannel_logout_uri: 'https://10.20.30.40/logout' });
    const s = await signedIn(await discoverFor(app, 'EdDSA'), await newUser(r, 'outbox-private'));
    const ended = await r.t.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${s.sessionId}`, headers: { cookie: s.cookie, origin: r.issuer } });
    assert.equal(ended.statusCode, 204);
    await settle(500);
    const rows = (await outbox(r.t)).filter((row) => row.client_id === app.client_id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.attempts, 1);
    assert.match(rows[0]?.last_error ?? '', /private or reserved/);
    // No token in the row, nor in the logs.
    assert.ok(!JSON.stringify(rows).includes('eyJ'));
    await r.t.transactor.withPlatform((tx) => tx.deleteFrom('oidc_backchannel_outbox').where('client_id', '=', app.client_id).execute());
  });

  it('RP-initiated logout sends its back-channel notice through the outbox (Parapet\u2019s sender, not the library\u2019s)', async () => {
    const app = await application(r, { backchannel_logout_uri: receiver.uri });
    const config = await discoverFor(app, 'EdDSA');
    const s = await signedIn(config, await newUser(r, 'outbox-rp'));
    const before = receiver.tokens.length;
    const confirm = await s.browser.follow(oidc.buildEndSessionUrl(config, { id_token_hint: s.tokens.id_token ?? '', post_logout_redirect_uri: 'http://127.0.0.1:9/bye' }).href);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await confirm.response.text())?.[1];
    assert.ok(xsrf);
    await s.browser.follow(`${r.issuer}/oidc/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
    await receiver.waitFor(before + 1);
    assert.equal(receiver.agents.at(-1), 'Parapet-OIDC-Backchannel-Logout/1');
    const { payload } = await jwtVerify(receiver.tokens[before] ?? '', createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`)), { issuer: r.issuer, audience: app.client_id, typ: LOGOUT_TOKEN_TYP, algorithms: ['EdDSA'] });
    assert.equal(payload['sid'], s.claims?.['sid']);
  });

  it('delivery survives a restart: a notice the first instance could not deliver is delivered by a second instance on the same database, RS256-signed for an RS256 application', async () => {
    const app = await application(r, { backchannel_logout_uri: receiver.uri, id_token_signed_response_alg: 'RS256' });
    const s = await signedIn(await discoverFor(app, 'RS256'), await newUser(r, 'outbox-restart'));
    const before = receiver.tokens.length;
    receiver.failNext = 1;
    const ended = await r.t.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${s.sessionId}`, headers: { cookie: s.cookie, origin: r.issuer } });
    assert.equal(ended.statusCode, 204);
    await settle(500);
    assert.equal(receiver.tokens.length, before, 'the first attempt failed (503)');
    assert.equal((await outbox(r.t)).filter((row) => row.client_id === app.client_id).length, 1);
    // The first instance stops (its memory is gone); a second starts on the same database and issuer.
    const port = Number(new URL(r.issuer).port);
    await r.t.app.http.close();
    second = await createTestApp({ database: r.t.database, env: { PARAPET_PORT: String(port), PARAPET_PUBLIC_URL: r.issuer, ...env } });
    await second.app.http.listen({ port, host: '127.0.0.1' });
    const stop = second.app.jobs.find((job) => job.name === JOB)?.start();
    assert.ok(stop);
    try {
      await receiver.waitFor(before + 1, 30_000);
    } finally {
      await stop();
    }
    const token = receiver.tokens[before] ?? '';
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`)), { issuer: r.issuer, audience: app.client_id, typ: LOGOUT_TOKEN_TYP, algorithms: ['RS256'], maxTokenAge: '2 minutes' });
    assert.equal(payload['sid'], s.claims?.['sid']);
    assert.equal(payload.sub, s.claims?.sub);
    assert.deepEqual(payload['events'], { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    assert.equal('nonce' in payload, false);
    assert.equal((await outbox(second)).filter((row) => row.client_id === app.client_id).length, 0, 'delivered notices leave the outbox');
  });
});
