// Attacks on service-account access tokens at the API: wrong audience, expiry, forged signatures,
// retired keys, another organization, and tokens that outlive their client or account.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { manualClock } from '../../platform/clock.ts';
import { createTokenKeys, signAccessToken, type TokenKeys } from '../tokens/index.ts';
import { createClient, disableServiceAccount, secretToken, seedOrg, seedServiceAccount, tokenRequest, basic, type CreatedClient, type OrgFixture } from './oauth-test-fixture.ts';

const START = new Date('2026-11-23T06:00:00Z');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('service-account access tokens at the API (AUTH-7)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  let a: OrgFixture;
  let b: OrgFixture;
  let viewer: string;
  let client: CreatedClient;
  let publicUrl: string;

  before(async () => {
    t = await createTestApp({ clock });
    publicUrl = t.config.publicUrl;
    a = await seedOrg(t, 'a');
    b = await seedOrg(t, 'b');
    viewer = await seedServiceAccount(t, a, 'Reader', ['viewer']);
    client = await createClient(t, a, viewer);
  });
  after(async () => {
    await t.close();
  });

  /** A token with our own current key, as the server would sign it, with some claims changed. */
  async function forge(keys: TokenKeys, overrides: { aud?: string; sub?: string; issuer?: string; scope?: string; now?: Date } = {}): Promise<string> {
    const { token } = await signAccessToken(keys, {
      issuer: overrides.issuer ?? publicUrl,
      sub: overrides.sub ?? viewer,
      aud: overrides.aud ?? `${publicUrl}/api`,
      jti: crypto.randomUUID(),
      now: overrides.now ?? clock.now(),
      ttlSeconds: 900,
      extra: { client_id: client.client_id, tid: a.orgId, scope: overrides.scope ?? 'organization.read projects.read' },
    });
    return token;
  }
  const readOrg = (token: string, orgId = a.orgId) => t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}`, headers: bearer(token) });

  it('AUTH-7: a token acts only within its service account\u2019s bindings, and its scope narrows them further', async () => {
    const full = await secretToken(t, client);
    assert.equal((await readOrg(full)).statusCode, 200);
    // Viewer holds no projects.create or organization.delete.
    const create = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/projects`, payload: { name: 'by robot' }, headers: bearer(full) });
    assert.equal(create.statusCode, 403);
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${a.orgId}`, headers: bearer(full) })).statusCode, 403);
    // Asking for more than the account holds gets no token at all.
    const beyond = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'projects.read organization.delete' }, { authorization: basic(client.client_id, client.client_secret ?? '') });
    assert.equal(beyond.statusCode, 400);
    assert.equal(beyond.json<{ error: string }>().error, 'invalid_scope');
    // A narrowed token cannot use the rest of the account's permissions.
    const narrow = await secretToken(t, client, { scope: 'projects.read' });
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/projects`, headers: bearer(narrow) })).statusCode, 200);
    assert.equal((await readOrg(narrow)).statusCode, 403);
  });

  it('AUTH-7: a scope claim wider than the bindings grants nothing the bindings do not', async () => {
    const wide = await forge(t.app.services.tokenKeys, { scope: 'organization.read organization.delete projects.create' });
    assert.equal((await readOrg(wide)).statusCode, 200);
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${a.orgId}`, headers: bearer(wide) })).statusCode, 403);
  });

  it('AUTH-7: a token issued for another audience is refused', async () => {
    assert.equal((await readOrg(await forge(t.app.services.tokenKeys))).statusCode, 200);
    for (const aud of ['https://other.example/api', publicUrl, `${publicUrl}/api/v2`]) {
      assert.equal((await readOrg(await forge(t.app.services.tokenKeys, { aud }))).statusCode, 401, aud);
    }
    assert.equal((await readOrg(await forge(t.app.services.tokenKeys, { issuer: 'https://evil.example' }))).statusCode, 401);
  });

  it('AUTH-7: a token is refused from the second it expires, whether cached or not', async () => {
    clock.set(START);
    const used = await secretToken(t, client);
    const unused = await secretToken(t, client);
    assert.equal((await readOrg(used)).statusCode, 200);
    clock.advance(899_999);
    assert.equal((await readOrg(used)).statusCode, 200);
    clock.advance(1);
    assert.equal((await readOrg(used)).statusCode, 401);
    assert.equal((await readOrg(unused)).statusCode, 401);
    clock.set(START);
  });

  it('AUTH-7: a token signed by an unknown key, unsigned (alg none), or HS256 with the public key as secret is refused', async () => {
    const keys = t.app.services.tokenKeys;
    const kid = keys.signingKey().kid;
    const claims = { iss: publicUrl, sub: viewer, aud: `${publicUrl}/api`, iat: Math.floor(clock.now().getTime() / 1000), exp: Math.floor(clock.now().getTime() / 1000) + 900, jti: crypto.randomUUID(), client_id: client.client_id, tid: a.orgId, scope: 'organization.read' };
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const stranger = await generateKeyPair('EdDSA');
    const unknownKey = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid }).sign(stranger.privateKey);
    const none = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims)}.`;
    const hmacInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64(claims)}`;
    const jwk = keys.signingKey().jwk;
    const secrets = [JSON.stringify(jwk), jwk.x ?? '', Buffer.from(jwk.x ?? '', 'base64url'), keys.signingKey().publicKey.export({ format: 'pem', type: 'spki' })];
    const hs256 = secrets.map((secret) => `${hmacInput}.${createHmac('sha256', secret).update(hmacInput).digest('base64url')}`);
    for (const token of [unknownKey, none, ...hs256]) {
      const response = await readOrg(token);
      assert.equal(response.statusCode, 401, token.slice(0, 40));
      assert.equal(response.json<{ code: string }>().code, 'unauthenticated');
    }
  });

  it('AUTH-7: verification accepts the current and previous period\u2019s keys, never an older one', async () => {
    const periodMs = t.app.services.tokenKeys.periodMs;
    const at = (ms: number) => createTokenKeys({ keyring: TEST_KEYRING, clock: { now: () => new Date(START.getTime() + ms) }, rotationDays: t.config.tokenKeyRotationDays });
    assert.equal((await readOrg(await forge(at(-periodMs)))).statusCode, 200);
    assert.equal((await readOrg(await forge(at(-2 * periodMs)))).statusCode, 401);
    assert.equal((await readOrg(await forge(at(periodMs)))).statusCode, 401);
  });

  it("AUTH-7: organization A's service account gets 404 on organization B's routes", async () => {
    const token = await secretToken(t, client);
    const urls = [`/api/v1/organizations/${b.orgId}`, `/api/v1/organizations/${b.orgId}/projects`, `/api/v1/organizations/${b.orgId}/projects/${b.projectId}`];
    for (const url of urls) assert.equal((await t.inject({ method: 'GET', url, headers: bearer(token) })).statusCode, 404, url);
    // Even a token claiming B as its tenant: the client is not B's, so it is refused outright.
    const claimsB = await signAccessToken(t.app.services.tokenKeys, { issuer: publicUrl, sub: viewer, aud: `${publicUrl}/api`, jti: crypto.randomUUID(), now: clock.now(), ttlSeconds: 900, extra: { client_id: client.client_id, tid: b.orgId, scope: 'organization.read' } });
    assert.equal((await readOrg(claimsB.token, b.orgId)).statusCode, 401);
  });

  it('AUTH-7: a deleted client and a disabled account get no tokens, and their live tokens fail on a second node', async () => {
    const second = await createTestApp({ clock, database: t.database });
    try {
      const account = await seedServiceAccount(t, a, 'Short-lived', ['viewer']);
      const doomed = await createClient(t, a, account, { name: 'doomed' });
      const kept = await createClient(t, a, account, { name: 'kept' });
      const doomedToken = await secretToken(t, doomed);
      const keptToken = await secretToken(t, kept);
      const onSecond = (token: string) => second.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: bearer(token) });
      // Cached on the second node first, so only the change feed can make it refuse.
      assert.equal((await onSecond(doomedToken)).statusCode, 200);
      assert.equal((await onSecond(keptToken)).statusCode, 200);

      const del = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${a.orgId}/service-accounts/${account}/clients/${doomed.client_id}`, headers: { cookie: a.cookie } });
      assert.equal(del.statusCode, 204);
      await until(async () => (await onSecond(doomedToken)).statusCode === 401);
      assert.equal((await onSecond(keptToken)).statusCode, 200);
      const again = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basic(doomed.client_id, doomed.client_secret ?? '') });
      assert.equal(again.json<{ error: string }>().error, 'invalid_client');

      await disableServiceAccount(t, a, account);
      await until(async () => (await onSecond(keptToken)).statusCode === 401);
      const refused = await tokenRequest(second, { grant_type: 'client_credentials' }, { authorization: basic(kept.client_id, kept.client_secret ?? '') });
      assert.equal(refused.statusCode, 400);
      assert.equal(refused.json<{ error: string }>().error, 'unauthorized_client');
    } finally {
      await second.close();
    }
  });
});

/** Polls until `ok` holds; fails after 10 s (the propagation time itself is measured in bench/oauth-tokens.ts). */
async function until(ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail('the change did not reach the second node');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
