// OpenID Back-Channel Logout 1.0 on Parapet session revocation (issue 17): a real HTTP listener is
// the relying party's back-channel endpoint and verifies each logout token with jose.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { Receiver } from './backchannel-receiver.ts';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP } from './backchannel-logout.ts';
import { application, authorizationRequest, Browser, discover, newUser, signIn, startProvider, type Running } from './openid-test-fixture.ts';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OpenID Back-Channel Logout on Parapet session revocation', () => {
  let r: Running;
  const receiver = new Receiver();
  before(async () => {
    await receiver.start();
    // The receiver is on loopback: the operator allows it, as one would a private network.
    r = await startProvider('op-bcl', { PARAPET_OIDC_BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' });
  });
  after(async () => {
    await r.t.close();
    await receiver.close();
  });

  async function signedIn(config: oidc.Configuration, email: string) {
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const callback = await signIn(r, browser, request.url, email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const sessions = await r.t.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie } });
    assert.equal(sessions.statusCode, 200, sessions.body);
    const current = sessions.json<{ items: { id: string; current: boolean }[] }>().items.find((s) => s.current);
    assert.ok(current);
    const claims = tokens.claims();
    assert.ok(claims);
    return { tokens, claims, cookie, sessionId: current.id };
  }

  async function endSession(s: { cookie: string; sessionId: string }): Promise<void> {
    const ended = await r.t.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${s.sessionId}`, headers: { cookie: s.cookie, origin: r.issuer } });
    assert.equal(ended.statusCode, 204, ended.body);
  }

  async function verify(token: string, clientId: string): Promise<JWTPayload> {
    const jwks = createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`));
    const { payload } = await jwtVerify(token, jwks, { issuer: r.issuer, audience: clientId, typ: LOGOUT_TOKEN_TYP, algorithms: ['EdDSA'], maxTokenAge: '2 minutes' });
    return payload;
  }

  it('ending one Parapet session sends a signed logout token for that session only, never for another session of the same user', async () => {
    const app = await application(r, { backchannel_logout_uri: receiver.uri });
    const config = await discover(r, app);
    assert.equal(config.serverMetadata().backchannel_logout_supported, true);
    const email = await newUser(r, 'bcl');
    const a = await signedIn(config, email);
    const b = await signedIn(config, email);
    assert.equal(typeof a.claims['sid'], 'string');
    assert.notEqual(a.claims['sid'], b.claims['sid']);

    const before = receiver.tokens.length;
    await endSession(a);
    await receiver.waitFor(before + 1);
    // Nothing else arrives: B's session is untouched.
    await settle(1_500);
    assert.equal(receiver.tokens.length, before + 1);
    const token = receiver.tokens[before] ?? '';
    assert.equal(decodeProtectedHeader(token).typ, LOGOUT_TOKEN_TYP);
    const payload = await verify(token, app.client_id);
    assert.equal(payload['sid'], a.claims['sid']);
    assert.equal(payload.sub, a.claims.sub);
    assert.deepEqual(payload['events'], { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    assert.equal(typeof payload.jti, 'string');
    assert.equal(typeof payload.iat, 'number');
    assert.equal('nonce' in payload, false, 'a logout token must not carry a nonce (§2.4)');
    // A's tokens are dead, B's still work.
    await assert.rejects(oidc.refreshTokenGrant(config, a.tokens.refresh_token ?? ''));
    const stillB = await oidc.refreshTokenGrant(config, b.tokens.refresh_token ?? '');
    assert.ok(stillB.access_token);
  });

  it('an application without a backchannel_logout_uri is sent nothing; a failed delivery is retried', async () => {
    const silent = await application(r);
    const silentConfig = await discover(r, silent);
    const email = await newUser(r, 'bcl-retry');
    const before = receiver.tokens.length;
    await endSession(await signedIn(silentConfig, email));
    await settle(1_000);
    assert.equal(receiver.tokens.length, before);

    const app = await application(r, { backchannel_logout_uri: receiver.uri });
    const s = await signedIn(await discover(r, app), email);
    receiver.failNext = 1;
    await endSession(s);
    // The first attempt got 503; the outbox job retries it (after 1 s) and it is delivered.
    const stop = r.t.app.jobs.find((job) => job.name === 'openid back-channel logout outbox')?.start();
    assert.ok(stop);
    try {
      await receiver.waitFor(before + 1);
    } finally {
      await stop();
    }
    const payload = await verify(receiver.tokens[before] ?? '', app.client_id);
    assert.equal(payload['sid'], s.claims['sid']);
  });
});
