import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { createTokenVerifier } from '../../sdk/index.ts';
import { seedOrg, type OrgFixture } from '../oauth/oauth-test-fixture.ts';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const API_A = 'https://api-a.example.com/';
const API_B = 'https://api-b.example.com/';
const API_OTHER_ORG = 'https://api-other-org.example.com/';
const API_OWNED = 'https://api-owned.example.com/';

describe('JWT access tokens for resource servers (RFC 9068, RFC 8707), through openid-client', () => {
  let r: Running;
  let app: CreatedApplication;
  let config: oidc.Configuration;
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  let otherOrg: OrgFixture;

  async function register(body: Record<string, unknown>, org: OrgFixture = r.org, environmentId = r.environmentId) {
    return r.t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${environmentId}/resource-servers`, payload: body, headers: { cookie: org.cookie } });
  }

  before(async () => {
    r = await startProvider('jwt-at');
    app = await application(r);
    config = await discover(r, app);
    jwks = jose.createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`));
    for (const body of [
      { name: 'Orders API', identifier: API_A, scopes: ['orders:read', 'orders:write'], access_token_ttl_seconds: 300 },
      { name: 'Billing API', identifier: API_B, scopes: ['billing:read'] },
    ]) {
      const created = await register(body);
      assert.equal(created.statusCode, 201, created.body);
    }
    // Another organization's API, and another application's own API in this very environment.
    otherOrg = await seedOrg(r.t, 'jwt-at-other');
    const env = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${otherOrg.orgId}/projects/${otherOrg.projectId}/environments`, payload: { name: 'production', kind: 'production' }, headers: { cookie: otherOrg.cookie } });
    assert.equal(env.statusCode, 201, env.body);
    assert.equal((await register({ name: 'Theirs', identifier: API_OTHER_ORG, scopes: ['orders:read'] }, otherOrg, env.json<{ id: string }>().id)).statusCode, 201);
    const otherApp = await application(r);
    assert.equal((await register({ name: 'Owned', identifier: API_OWNED, scopes: ['orders:read'], application_id: otherApp.client_id })).statusCode, 201);
  });
  after(async () => {
    await r.t.close();
  });

  async function codeFor(resource: string, scope = 'openid orders:read') {
    const email = await newUser(r, 'jwt');
    const request = await authorizationRequest(config, { scope, resource });
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    return { callback, request };
  }

  it('issues an at+jwt signed with the published keys: aud = the resource, the granted API scopes, the user and the client', async () => {
    const { callback, request } = await codeFor(API_A);
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, { resource: API_A });
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: r.issuer, audience: API_A, typ: 'at+jwt', algorithms: ['EdDSA'] });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload['client_id'], app.client_id);
    assert.equal(payload.sub, tokens.claims()?.sub);
    // Only what was asked and granted: orders:write was never requested.
    assert.equal(payload['scope'], 'orders:read');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    assert.ok(typeof payload.jti === 'string');
  });

  it("the SDK's verifier labels an application's at+jwt for a user as the user's (client_id is no service account), with its client", async () => {
    const { callback, request } = await codeFor(API_A);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, { resource: API_A });
    const verifier = createTokenVerifier({ issuer: r.issuer, audience: API_A, jwksUrl: `${r.issuer}/oidc/jwks` });
    const verified = await verifier.verify(tokens.access_token);
    assert.equal(verified.kind, 'user');
    assert.equal(verified.subject, tokens.claims()?.sub);
    assert.equal(verified.clientId, app.client_id);
    assert.deepEqual(verified.scope, ['orders:read']);
  });

  it('a token for resource A is refused by a resource server that expects audience B', async () => {
    const { callback, request } = await codeFor(API_A);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, { resource: API_A });
    await assert.rejects(jose.jwtVerify(tokens.access_token, jwks, { issuer: r.issuer, audience: API_B, typ: 'at+jwt' }), (error: Error & { code?: string; claim?: string }) => error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && error.claim === 'aud');
  });

  it('an expired token is refused (exp is iat + the lifetime registered for the API)', async () => {
    const { callback, request } = await codeFor(API_A);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, { resource: API_A });
    const { exp } = jose.decodeJwt(tokens.access_token);
    assert.ok(exp !== undefined);
    await assert.rejects(jose.jwtVerify(tokens.access_token, jwks, { issuer: r.issuer, audience: API_A, typ: 'at+jwt', currentDate: new Date((exp + 1) * 1000) }), (error: Error & { code?: string }) => error.code === 'ERR_JWT_EXPIRED');
  });

  it('a token request naming another resource than the one granted is refused (invalid_target)', async () => {
    const { callback, request } = await codeFor(API_A);
    await assert.rejects(oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, { resource: API_B }), (error: Error & { error?: string }) => error.error === 'invalid_target');
  });

  for (const [label, resource] of [
    ["another organization's API", API_OTHER_ORG],
    ["another application's own API", API_OWNED],
    ['an unregistered API', 'https://unknown.example.com/'],
  ] as const) {
    it(`refuses an authorization request for ${label}: invalid_target, no code`, async () => {
      const request = await authorizationRequest(config, { scope: 'openid orders:read', resource });
      const answer = await new Browser(r.issuer).follow(request.url.href);
      const params = new URL(answer.url).searchParams;
      assert.ok(answer.url.startsWith(`${REDIRECT_URI}?`), answer.url);
      assert.equal(params.get('code'), null);
      assert.equal(params.get('error'), 'invalid_target');
    });
  }

  it('without a resource the access token stays opaque and serves userinfo; a JWT for an API does not', async () => {
    const { callback, request } = await codeFor(API_A, 'openid email orders:read');
    const plain = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(plain.access_token.split('.').length, 1);
    assert.ok((await oidc.fetchUserInfo(config, plain.access_token, plain.claims()?.sub ?? '')).email);
    const again = await codeFor(API_A, 'openid email orders:read');
    const jwt = await oidc.authorizationCodeGrant(config, new URL(again.callback), { pkceCodeVerifier: again.request.verifier, expectedState: again.request.state, expectedNonce: again.request.nonce }, { resource: API_A });
    await assert.rejects(oidc.fetchUserInfo(config, jwt.access_token, jwt.claims()?.sub ?? ''));
  });

  it('registration refuses a non-https identifier, a fragment, an OpenID scope name, and a duplicate identifier', async () => {
    for (const body of [
      { name: 'x', identifier: 'http://api.example.com/', scopes: ['a'] },
      { name: 'x', identifier: 'https://api.example.com/#x', scopes: ['a'] },
      { name: 'x', identifier: 'https://api2.example.com/', scopes: ['openid'] },
    ]) {
      const refused = await register(body);
      assert.equal(refused.statusCode, 400, refused.body);
    }
    assert.equal((await register({ name: 'dup', identifier: API_A, scopes: ['a'] })).statusCode, 409);
  });
});
