import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { seedOrg } from '../oauth/oauth-test-fixture.ts';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const API_A = 'https://orders-refresh.example.com/';
const API_B = 'https://billing-refresh.example.com/';
const API_GONE = 'https://gone-refresh.example.com/';
const API_OTHER_ORG = 'https://other-org-refresh.example.com/';

/**
 * RFC 9068 access tokens on refresh-token exchanges (docs/openid-provider.md, "Resource servers
 * and JWT access tokens"): an application that asked for an API at authorization names it again
 * at the refresh and gets a new at+jwt for it; only what the grant holds, never another API.
 */
describe('JWT access tokens on refresh-token exchanges, through openid-client and oauth4webapi', () => {
  let r: Running;
  let app: CreatedApplication;
  let config: oidc.Configuration;
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  let goneId: string;

  async function register(body: Record<string, unknown>, org = r.org, environmentId = r.environmentId) {
    const created = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${environmentId}/resource-servers`, payload: body, headers: { cookie: org.cookie } });
    assert.equal(created.statusCode, 201, created.body);
    return created.json<{ id: string }>();
  }

  before(async () => {
    r = await startProvider('jwt-refresh');
    app = await application(r, { scopes: ['openid', 'email', 'offline_access'] });
    config = await discover(r, app);
    jwks = jose.createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`));
    await register({ name: 'Orders', identifier: API_A, scopes: ['orders:read', 'orders:write'], access_token_ttl_seconds: 300 });
    await register({ name: 'Billing', identifier: API_B, scopes: ['billing:read'] });
    goneId = (await register({ name: 'Gone', identifier: API_GONE, scopes: ['gone:read'] })).id;
    const other = await seedOrg(r.t, 'jwt-refresh-other');
    const env = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${other.orgId}/projects/${other.projectId}/environments`, payload: { name: 'production', kind: 'production' }, headers: { cookie: other.cookie } });
    assert.equal(env.statusCode, 201, env.body);
    await register({ name: 'Theirs', identifier: API_OTHER_ORG, scopes: ['orders:read'] }, other, env.json<{ id: string }>().id);
  });
  after(async () => {
    await r.t.close();
  });

  /** Signs a new user in asking for `resource` and exchanges the code for it; returns the tokens. */
  async function signedIn(resource: string, scope: string) {
    const email = await newUser(r, 'jwt-refresh');
    const request = await authorizationRequest(config, { scope, resource });
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    return oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, { resource });
  }

  async function verifyFor(token: string, audience: string) {
    return jose.jwtVerify(token, jwks, { issuer: r.issuer, audience, typ: 'at+jwt', algorithms: ['EdDSA'] });
  }

  it('openid-client: a refresh naming the granted API answers a new at+jwt for it (aud, scope, lifetime, user, client) and rotates the refresh token', async () => {
    const tokens = await signedIn(API_A, 'openid offline_access orders:read');
    assert.ok(tokens.refresh_token);
    const first = await verifyFor(tokens.access_token, API_A);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token, { resource: API_A });
    const { payload, protectedHeader } = await verifyFor(refreshed.access_token, API_A);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.sub, first.payload.sub);
    assert.equal(payload['client_id'], app.client_id);
    assert.equal(payload['scope'], 'orders:read');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    assert.notEqual(payload.jti, first.payload.jti);
    assert.ok(refreshed.refresh_token !== undefined && refreshed.refresh_token !== tokens.refresh_token);
    // The refreshed ID token is still the app's, checked by openid-client.
    assert.equal(refreshed.claims()?.sub, payload.sub);
    // And the rotated refresh token works again for the API.
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token, { resource: API_A });
    await verifyFor(again.access_token, API_A);
  });

  it('oauth4webapi: the whole code flow, then a refresh for the API, validated by a second, independent relying party library', async () => {
    // Plain http on loopback, for this test only.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const as = await oauth.processDiscoveryResponse(new URL(r.issuer), await oauth.discoveryRequest(new URL(r.issuer), { [oauth.allowInsecureRequests]: true }));
    const client: oauth.Client = { client_id: app.client_id, id_token_signed_response_alg: 'EdDSA' };
    const clientAuth = oauth.ClientSecretBasic(app.client_secret ?? '');
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint ?? '');
    for (const [key, value] of Object.entries({ client_id: app.client_id, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid offline_access orders:read', resource: API_A, state, nonce, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })) url.searchParams.set(key, value);
    const callback = await signIn(r, new Browser(r.issuer), url, await newUser(r, 'jwt-refresh-o4w'));
    // RFC 9207: oauth4webapi checks `iss` in the response against the discovered issuer.
    const params = oauth.validateAuthResponse(as, client, new URL(callback), state);
    // Plain http on loopback, for this test only.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const options = { [oauth.allowInsecureRequests]: true, additionalParameters: { resource: API_A } };
    const codeResponse = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, verifier, options);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, codeResponse, { expectedNonce: nonce, requireIdToken: true });
    await verifyFor(tokens.access_token, API_A);
    assert.ok(tokens.refresh_token);
    const refreshResponse = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, options);
    const refreshed = await oauth.processRefreshTokenResponse(as, client, refreshResponse);
    const { payload } = await verifyFor(refreshed.access_token, API_A);
    assert.equal(payload['scope'], 'orders:read');
    assert.equal(payload.sub, oauth.getValidatedIdTokenClaims(tokens)?.sub);
  });

  it('a refresh without resource answers an opaque access token that serves userinfo, as the code exchange does', async () => {
    const tokens = await signedIn(API_A, 'openid email offline_access orders:read');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal(refreshed.access_token.split('.').length, 1);
    assert.ok((await oidc.fetchUserInfo(config, refreshed.access_token, refreshed.claims()?.sub ?? '')).email);
  });

  for (const [label, resource] of [
    ['an API of the same environment the grant does not hold', API_B],
    ["another organization's API", API_OTHER_ORG],
    ['an unregistered API', 'https://unknown-refresh.example.com/'],
  ] as const) {
    it(`a refresh naming ${label} is refused (invalid_target), and the refresh token still works for the granted API`, async () => {
      const tokens = await signedIn(API_A, 'openid offline_access orders:read');
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource }), (error: Error & { error?: string }) => error.error === 'invalid_target');
      // Refused before rotation: nothing was consumed.
      await verifyFor((await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: API_A })).access_token, API_A);
    });
  }

  it('a refresh cannot widen the API scopes beyond what the grant holds (invalid_scope)', async () => {
    const tokens = await signedIn(API_A, 'openid offline_access orders:read');
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: API_A, scope: 'openid orders:read orders:write' }), (error: Error & { error?: string }) => error.error === 'invalid_scope');
  });

  it('after its resource server is deleted, a refresh for it gets no token (invalid_target)', async () => {
    const tokens = await signedIn(API_GONE, 'openid offline_access gone:read');
    await verifyFor(tokens.access_token, API_GONE);
    const deleted = await r.t.inject({ method: 'DELETE', url: `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/resource-servers/${goneId}`, headers: { cookie: r.org.cookie } });
    assert.equal(deleted.statusCode, 204, deleted.body);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: API_GONE }), (error: Error & { error?: string }) => error.error === 'invalid_target');
    // Not consumed by the refusal: it still answers an opaque token for userinfo.
    assert.equal((await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).access_token.split('.').length, 1);
  });

  it('a refresh token replayed after rotation is refused and revokes the grant: the API gets nothing more from it', async () => {
    const tokens = await signedIn(API_A, 'openid offline_access orders:read');
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: API_A });
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: API_A }), (error: Error & { error?: string }) => error.error === 'invalid_grant');
    await assert.rejects(oidc.refreshTokenGrant(config, rotated.refresh_token ?? '', { resource: API_A }), (error: Error & { error?: string }) => error.error === 'invalid_grant');
  });
});
