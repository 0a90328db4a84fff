import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, addMember } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';
import { createTokenVerifier, TokenVerificationError } from '../../sdk/index.ts';
import { signAccessToken } from './sign-access-token.ts';
import { SIGNING_DELAY_MS } from './token-keys.ts';
import { expectedClaims, me, newUser, platformEvents, refresh, sidOf, tokenLogin, type Pair } from './user-tokens-test-fixture.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Starts the app on loopback (the SDK fetches the JWKS over HTTP); returns the JWKS URL. */
async function listen(t: TestApp): Promise<string> {
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.http.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/.well-known/jwks.json`;
}

describe('refresh-token rotation and reuse detection (AUTH-5, IR-5)', () => {
  const clock = manualClock(new Date('2026-11-02T10:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-5: replaying a retired refresh token revokes the whole family and its session, audits it and alerts the organization', async () => {
    const org = await createOrg(t, 'reuse');
    const user = await newUser(t, 'replayed');
    await addMember(t, org.orgId, user.userId);
    const first = await tokenLogin(t, user.email);
    const rotated = await refresh(t, first.refresh_token);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const second = rotated.json<Pair>();
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await me(t, second.access_token)).statusCode, 200);
    // Well past the grace window: an attacker replays the copy they stole.
    clock.advance(MINUTE);
    assertProblem(await refresh(t, first.refresh_token), 400, 'invalid_grant');
    // The honest client's current refresh token and access token die with the family.
    assertProblem(await refresh(t, second.refresh_token), 400, 'invalid_grant');
    assert.equal((await me(t, second.access_token)).statusCode, 401);
    const sid = sidOf(first.access_token);
    const reused = await platformEvents(t, 'session.refresh_token_reused');
    assert.ok(reused.some((event) => event.targets.some((target) => target.id === sid)), 'session.refresh_token_reused recorded');
    const revoked = await platformEvents(t, 'session.revoked');
    assert.ok(revoked.some((event) => event.targets.some((target) => target.id === sid) && event.metadata['reason'] === 'refresh_token_reused'));
    const alerts = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/security-alerts`, headers: { cookie: org.admin.cookie } });
    assert.equal(alerts.statusCode, 200, alerts.body);
    assert.ok(alerts.json<{ items: { kind: string; subject: { id: string } | null }[] }>().items.some((alert) => alert.kind === 'refresh_token_reused' && alert.subject?.id === sid));
  });

  it('AUTH-5: a concurrent double refresh within the grace window gets the same successor and does not lock out the honest client', async () => {
    const user = await newUser(t, 'double');
    const first = await tokenLogin(t, user.email);
    const [a, b] = await Promise.all([refresh(t, first.refresh_token), refresh(t, first.refresh_token, true)]);
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(b.statusCode, 200, b.body);
    assert.equal(a.json<Pair>().refresh_token, b.json<Pair>().refresh_token, 'both answers carry the one successor');
    // A late retry from the same client, still within 10 s.
    clock.advance(5_000);
    const retry = await refresh(t, first.refresh_token);
    assert.equal(retry.statusCode, 200, retry.body);
    assert.equal(retry.json<Pair>().refresh_token, a.json<Pair>().refresh_token);
    // The client carries on with the successor: nothing was revoked.
    const next = await refresh(t, a.json<Pair>().refresh_token);
    assert.equal(next.statusCode, 200, next.body);
    assert.equal((await me(t, next.json<Pair>().access_token)).statusCode, 200);
    assert.equal((await me(t, b.json<Pair>().access_token)).statusCode, 200);
  });

  it('AUTH-5: a refresh token is refused 7 days after the family began, however often it was rotated', async () => {
    const user = await newUser(t, 'week');
    let pair = await tokenLogin(t, user.email);
    for (let day = 0; day < 3; day++) {
      clock.advance(2 * DAY);
      const response = await refresh(t, pair.refresh_token);
      assert.equal(response.statusCode, 200, `day ${(day + 1) * 2}: ${response.body}`);
      pair = response.json<Pair>();
    }
    clock.advance(DAY - MINUTE);
    const lastDay = await refresh(t, pair.refresh_token);
    assert.equal(lastDay.statusCode, 200, 'still inside the 7 days');
    pair = lastDay.json<Pair>();
    clock.advance(2 * MINUTE);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
  });
  it('AUTH-5: the family’s 7-day end holds on its own, even if the session were extended beyond it', async () => {
    const user = await newUser(t, 'outlived');
    const pair = await tokenLogin(t, user.email);
    await t.transactor.withPlatform((tx) => tx.updateTable('sessions').set({ absolute_expires_at: new Date(clock.now().getTime() + 30 * DAY) }).where('id', '=', sidOf(pair.access_token)).execute());
    clock.advance(7 * DAY + MINUTE);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
  });
});

describe('access-token verification refuses forged and misused JWTs, on the server and in the SDK (AUTH-5)', () => {
  const clock = manualClock(new Date('2026-11-02T10:00:00Z'));
  let t: TestApp;
  let jwksUrl: string;
  let pair: Pair;
  let userId: string;
  before(async () => {
    t = await createTestApp({ clock });
    jwksUrl = await listen(t);
    const user = await newUser(t, 'forged');
    userId = user.userId;
    pair = await tokenLogin(t, user.email);
  });
  after(async () => {
    await t.close();
  });

  const sdk = () => createTokenVerifier({ ...expectedClaims(t), jwksUrl, clock: () => clock.now() });
  const sign = (claims: { issuer?: string; aud?: string }) =>
    signAccessToken(t.app.services.tokenKeys, {
      issuer: claims.issuer ?? expectedClaims(t).issuer,
      aud: claims.aud ?? expectedClaims(t).audience,
      sub: userId,
      jti: crypto.randomUUID(),
      now: clock.now(),
      ttlSeconds: 900,
      extra: { sid: sidOf(pair.access_token), amr: ['pwd'] },
    }).then((signed) => signed.token);

  async function refusedEverywhere(token: string, what: string): Promise<void> {
    const response = await me(t, token);
    assert.equal(response.statusCode, 401, `${what}: server answered ${response.statusCode}`);
    await assert.rejects(sdk().verify(token), TokenVerificationError, `${what}: the SDK accepted it`);
  }

  it('accepts the genuine token on both (the control)', async () => {
    assert.equal((await me(t, pair.access_token)).statusCode, 200);
    const verified = await sdk().verify(pair.access_token);
    assert.equal(verified.subject, userId);
    assert.equal(verified.sessionId, sidOf(pair.access_token));
    assert.deepEqual(verified.authMethods, ['pwd']);
    assert.equal(verified.organizationId, undefined);
  });

  it('AUTH-5: refuses a token signed for another audience', async () => {
    await refusedEverywhere(await sign({ aud: 'https://elsewhere.example.com/api' }), 'wrong audience');
  });

  it('AUTH-5: refuses a token from another issuer', async () => {
    await refusedEverywhere(await sign({ issuer: 'https://evil.example.com' }), 'wrong issuer');
  });

  it('AUTH-5: refuses a tampered token (payload changed, signature kept)', async () => {
    const [header, payload, signature] = pair.access_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    // Claims an attacker would like: a second factor and a day more; the subject and session stay genuine.
    const forged = Buffer.from(JSON.stringify({ ...claims, amr: ['pwd', 'hwk'], exp: Number(claims['exp']) + 86_400 })).toString('base64url');
    await refusedEverywhere(`${header}.${forged}.${signature}`, 'tampered');
  });

  it('AUTH-5: refuses an unsigned token (alg: none) and an HMAC token keyed with the public key', async () => {
    const claims = decodeJwt(pair.access_token);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'x' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    await refusedEverywhere(none, 'alg none');
    const jwk = t.app.services.tokenKeys.signingKey().jwk;
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid ?? '' }).sign(Buffer.from(jwk.x ?? ''));
    await refusedEverywhere(hmac, 'HS256 with the public key');
  });

  it('AUTH-5: refuses an expired token, also once it was cached', async () => {
    const verifier = sdk();
    await verifier.verify(pair.access_token);
    assert.equal((await me(t, pair.access_token)).statusCode, 200, 'cached on the server');
    clock.advance(15 * MINUTE);
    assert.equal((await me(t, pair.access_token)).statusCode, 401);
    await assert.rejects(verifier.verify(pair.access_token), TokenVerificationError);
  });
});

describe('signing-key rotation (AUTH-5)', () => {
  it('AUTH-5: a token signed with the previous period’s key stays valid across the rotation until it expires, on the server and in the SDK', async () => {
    const periodMs = 30 * DAY;
    const boundary = Math.ceil(Date.parse('2026-11-02T00:00:00Z') / periodMs) * periodMs;
    const clock = manualClock(new Date(boundary - 5 * MINUTE));
    const t = await createTestApp({ clock });
    try {
      const jwksUrl = await listen(t);
      const user = await newUser(t, 'rotation');
      const before = await tokenLogin(t, user.email);
      const oldKid = t.app.services.tokenKeys.signingKey().kid;
      // Past the boundary (and the signing delay): a new key signs, the old one only verifies.
      clock.set(new Date(boundary + SIGNING_DELAY_MS + MINUTE));
      const after = await tokenLogin(t, user.email);
      const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string };
      assert.equal(kidOf(before.access_token).kid, oldKid);
      assert.notEqual(kidOf(after.access_token).kid, oldKid, 'the new period signs with a new key');
      // First use of the old token after the rotation: verified (not cached) with the previous key.
      assert.equal((await me(t, before.access_token)).statusCode, 200);
      assert.equal((await me(t, after.access_token)).statusCode, 200);
      const verifier = createTokenVerifier({ ...expectedClaims(t), jwksUrl, clock: () => clock.now() });
      assert.equal((await verifier.verify(before.access_token)).subject, user.userId);
      assert.equal((await verifier.verify(after.access_token)).subject, user.userId);
      // …until it expires (15 minutes after it was issued).
      clock.set(new Date(boundary - 5 * MINUTE + 15 * MINUTE));
      assert.equal((await me(t, before.access_token)).statusCode, 401);
      await assert.rejects(createTokenVerifier({ ...expectedClaims(t), jwksUrl, clock: () => clock.now() }).verify(before.access_token), TokenVerificationError);
    } finally {
      await t.close();
    }
  });
});

describe('session revocation reaches bearer tokens on every node (AUTH-5, ASVS 7.4)', () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await createTestApp();
    b = await createTestApp({ database: a.database });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('AUTH-5: a session revoked on one node is refused on a second node within 1 s, though its access token is cached there', async () => {
    const user = await newUser(a, 'two-nodes');
    const pair = await tokenLogin(a, user.email);
    assert.equal((await me(b, pair.access_token)).statusCode, 200);
    assert.equal((await me(b, pair.access_token)).statusCode, 200, 'now cached on node B');
    const sid = sidOf(pair.access_token);
    const ended = await a.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${sid}`, headers: { authorization: `Bearer ${pair.access_token}` } });
    assert.equal(ended.statusCode, 204, ended.body);
    const started = Date.now();
    let status = 200;
    while (Date.now() - started < 1000) {
      status = (await me(b, pair.access_token)).statusCode;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 401, 'node B still accepted the revoked session’s access token after 1 s');
    assertProblem(await refresh(b, pair.refresh_token), 400, 'invalid_grant');
  });
});
