import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createRowIntegrity } from '../identity/index.ts';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, createRemoteJWKSet } from 'jose';
import fc from 'fast-check';
import * as oidc from 'openid-client';
import type { FastifyRequest } from 'fastify';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import type { AppTransactor } from '../../database.ts';
import { createBearerAuthenticator, createUserTokenKind, createVerifiedTokenCache } from '../tokens/index.ts';
import { createServiceAccountTokenKind } from './service-account-token-kind.ts';
import { createClient, freePort, secretToken, seedOrg, seedServiceAccount, tokenRequest, type OrgFixture } from './oauth-test-fixture.ts';

describe('OAuth 2.0 client credentials with a real client (openid-client over loopback)', () => {
  let t: TestApp;
  let org: OrgFixture;
  let serviceAccountId: string;
  let issuer: string;

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    t = await createTestApp({ env: { PARAPET_PORT: String(port), PARAPET_PUBLIC_URL: issuer } });
    await t.app.http.listen({ port, host: '127.0.0.1' });
    org = await seedOrg(t, 'oidc');
    serviceAccountId = await seedServiceAccount(t, org, 'Deployer', ['service_account']);
  });
  after(async () => {
    await t.close();
  });

  async function discover(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
    // Plain http on loopback, for this test only (openid-client marks it deprecated to make it stand out).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    return oidc.discovery(new URL(issuer), clientId, undefined, auth, { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
  }

  it('AUTH-7: publishes RFC 8414 metadata that openid-client discovers', async () => {
    const config = await discover('x', oidc.None());
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, issuer);
    assert.equal(metadata.token_endpoint, `${issuer}/oauth/token`);
    assert.equal(metadata.jwks_uri, `${issuer}/.well-known/jwks.json`);
    assert.deepEqual(metadata.grant_types_supported, ['client_credentials']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    assert.ok(!metadata.token_endpoint_auth_signing_alg_values_supported?.some((alg) => alg === 'none' || alg.startsWith('HS')));
    assert.ok(metadata.scopes_supported?.includes('authz.check'));
  });

  it('AUTH-7: a client_secret_basic client gets a 15-minute EdDSA token that calls the API and verifies against the JWKS', async () => {
    const client = await createClient(t, org, serviceAccountId, { name: 'basic' });
    assert.match(client.client_secret ?? '', /^pcs_[A-Za-z0-9_-]{43}$/);
    const config = await discover(client.client_id, oidc.ClientSecretBasic(client.client_secret));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'organization.read projects.read' });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.expires_in, 900);
    assert.equal(tokens.scope, 'organization.read projects.read');
    assert.equal(tokens.refresh_token, undefined);

    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    // A verifier needs nothing but the JWKS.
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), { issuer, audience: `${issuer}/api` });
    assert.equal(payload.sub, serviceAccountId);
    assert.equal(payload['client_id'], client.client_id);
    assert.equal(payload['tid'], org.orgId);
    assert.equal(payload['scope'], 'organization.read projects.read');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
    assert.equal(typeof payload.jti, 'string');

    const read = await fetch(`${issuer}/api/v1/organizations/${org.orgId}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { id: string }).id, org.orgId);
  });

  it('AUTH-7: a private_key_jwt client (Ed25519, P-256 and RSA keys) authenticates with signed assertions', async () => {
    for (const alg of ['EdDSA', 'ES256', 'PS256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: `k-${alg}` };
      const client = await createClient(t, org, serviceAccountId, { name: `jwt ${alg}`, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
      assert.equal(client.client_secret, undefined);
      const config = await discover(client.client_id, oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }));
      const first = await oidc.clientCredentialsGrant(config);
      const second = await oidc.clientCredentialsGrant(config, { scope: 'authz.check' });
      assert.equal(decodeJwt(first.access_token).sub, serviceAccountId);
      assert.equal(second.scope, 'authz.check');
    }
  });

  it('AUTH-7: client_secret_post works for a client registered for it, and the response is not cacheable', async () => {
    const client = await createClient(t, org, serviceAccountId, { name: 'post', token_endpoint_auth_method: 'client_secret_post' });
    const config = await discover(client.client_id, oidc.ClientSecretPost(client.client_secret));
    const tokens = await oidc.clientCredentialsGrant(config);
    assert.ok(tokens.access_token.length > 100);
    const raw = await tokenRequest(t, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret ?? '' });
    assert.equal(raw.statusCode, 200);
    assert.equal(raw.headers['cache-control'], 'no-store');
    assert.equal(raw.headers['pragma'], 'no-cache');
  });

  it('AUTH-7: the JWKS holds previous, current and next keys with cache headers; metadata is cacheable too', async () => {
    const response = await fetch(`${issuer}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('cache-control') ?? '', /public, max-age=3600/);
    const { keys } = (await response.json()) as { keys: { kid: string; kty: string; crv: string; alg: string; d?: string }[] };
    assert.equal(keys.length, 3);
    assert.equal(new Set(keys.map((k) => k.kid)).size, 3);
    assert.ok(keys.every((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && k.alg === 'EdDSA' && k.d === undefined));
    const metadata = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    assert.match(metadata.headers.get('cache-control') ?? '', /public, max-age=3600/);
  });

  it('lists, reads and deletes clients without ever returning a secret', async () => {
    const client = await createClient(t, org, serviceAccountId, { name: 'listed' });
    const base = `/api/v1/organizations/${org.orgId}/service-accounts/${serviceAccountId}/clients`;
    const list = await t.inject({ method: 'GET', url: base, headers: { cookie: org.cookie } });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json<{ items: { client_id: string }[] }>().items.some((c) => c.client_id === client.client_id));
    const read = await t.inject({ method: 'GET', url: `${base}/${client.client_id}`, headers: { cookie: org.cookie } });
    assert.equal(read.json<{ name: string }>().name, 'listed');
    for (const body of [list.body, read.body]) assert.ok(!body.includes(client.client_secret ?? 'none') && !body.includes('secret_hash'));
    assert.equal((await t.inject({ method: 'DELETE', url: `${base}/${client.client_id}`, headers: { cookie: org.cookie } })).statusCode, 204);
    assert.equal((await t.inject({ method: 'GET', url: `${base}/${client.client_id}`, headers: { cookie: org.cookie } })).statusCode, 404);
  });

  it('AUTH-7: deleting a service account deletes its clients and ends their tokens', async () => {
    const doomed = await seedServiceAccount(t, org, 'Doomed', ['viewer']);
    const client = await createClient(t, org, doomed, { name: 'doomed' });
    const token = await secretToken(t, client);
    const read = () => t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { authorization: `Bearer ${token}` } });
    assert.equal((await read()).statusCode, 200);
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/service-accounts/${doomed}`, headers: { cookie: org.cookie } })).statusCode, 204);
    // The account's bindings are gone at once (403); its token is refused (401) once the change
    // feed's notification arrives, milliseconds later on a server.
    for (let status = (await read()).statusCode; status !== 401; status = (await read()).statusCode) {
      assert.equal(status, 403);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const rows = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('oauth_clients').select('id').where('service_account_id', '=', doomed).execute());
    assert.deepEqual(rows, []);
  });

  it('AUTH-7: a warm service-account token costs no database query, from the cache it shares with user tokens', async () => {
    const client = await createClient(t, org, serviceAccountId, { name: 'warm' });
    const token = await secretToken(t, client);
    let transactions = 0;
    const counting = {
      withTenant: (tenantId: string, fn: never) => {
        transactions++;
        return t.transactor.withTenant(tenantId, fn);
      },
      withPlatform: (fn: never) => {
        transactions++;
        return t.transactor.withPlatform(fn);
      },
    } as unknown as AppTransactor;
    const shared = { clock: { now: () => new Date() }, transactor: counting, integrity: createRowIntegrity(TEST_KEYRING.derive('row-integrity')), feed: undefined, cache: createVerifiedTokenCache({ clock: { now: () => new Date() } }) };
    const bearer = createBearerAuthenticator({ keys: t.app.services.tokenKeys, issuer, audience: `${issuer}/api`, clock: shared.clock, cache: shared.cache });
    // Both kinds, in the order of the app: the user kind does not claim the token, the service-account kind does.
    const users = createUserTokenKind(shared);
    const robots = createServiceAccountTokenKind(shared);
    bearer.accept(users.kind);
    bearer.accept(robots.kind);
    const request = { headers: { authorization: `Bearer ${token}` }, params: {} } as unknown as FastifyRequest;
    for (let i = 0; i < 1_000; i++) {
      const principal = await bearer.authenticate(request);
      assert.equal(principal?.kind === 'service_account' ? principal.serviceAccountId : undefined, serviceAccountId);
    }
    assert.equal(transactions, 1);
    assert.equal(shared.cache.size, 1);
    users.close();
    robots.close();
  });

  it('refuses a private_key_jwt client whose keys are private, HMAC, too small or missing', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const bad = [
      { keys: [await exportJWK(privateKey)] },
      { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
      { keys: [rsa.publicKey.export({ format: 'jwk' })] },
      { keys: [] },
    ];
    for (const jwks of bad) {
      const response = await t.inject({
        method: 'POST',
        url: `/api/v1/organizations/${org.orgId}/service-accounts/${serviceAccountId}/clients`,
        payload: { name: 'bad', token_endpoint_auth_method: 'private_key_jwt', jwks },
        headers: { cookie: org.cookie },
      });
      assert.equal(response.statusCode, 400, JSON.stringify(jwks).slice(0, 80));
    }
  });

  it('answers OAuth errors (RFC 6749 §5.2) for bad grants, bodies and audiences', async () => {
    const client = await createClient(t, org, serviceAccountId, { name: 'errors' });
    const auth = { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret ?? ''}`).toString('base64')}` };
    const cases: [Record<string, string> | string, Record<string, string>, number, string][] = [
      [{ grant_type: 'authorization_code' }, auth, 400, 'unsupported_grant_type'],
      [{ scope: 'x' }, auth, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', resource: 'https://elsewhere.example/api' }, auth, 400, 'invalid_target'],
      [{ grant_type: 'client_credentials', scope: 'not.a.permission' }, auth, 400, 'invalid_scope'],
      ['grant_type=client_credentials&grant_type=client_credentials', auth, 400, 'invalid_request'],
      ['grant_type=client_credentials&x=%00', auth, 400, 'invalid_request'],
      ['grant_type=client_credentials&x=%E0%A4%A', auth, 400, 'invalid_request'],
      ['grant_type=client_credentials&__proto__=1', auth, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_secret: 'x', client_id: client.client_id }, auth, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
    ];
    for (const [form, headers, status, error] of cases) {
      const payload = typeof form === 'string' ? form : new URLSearchParams(form).toString();
      const response = await t.inject({ method: 'POST', url: '/oauth/token', payload, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
      assert.equal(response.statusCode, status, `${payload}: ${response.body}`);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(response.json<{ error: string }>().error, error, payload);
      assert.equal(typeof response.json<{ error_description: string }>().error_description, 'string');
    }
    const json = await t.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials' }, headers: auth });
    assert.equal(json.statusCode, 415);
    assert.equal(json.json<{ error: string }>().error, 'invalid_request');
  });

  it('answers arbitrary form bodies with an OAuth error, never a 500 and never an echo of the body', async () => {
    const canary = 'pcs_canaryCanaryCanaryCanary';
    const bodies = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.dictionary(fc.constantFrom('grant_type', 'scope', 'resource', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'x'), fc.string({ maxLength: 80 })).map((form) => new URLSearchParams(form).toString()),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const response = await t.inject({ method: 'POST', url: '/oauth/token', payload: `${body}&client_secret=${canary}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${body}: ${response.statusCode}`);
        assert.equal(typeof response.json<{ error: unknown }>().error, 'string');
        assert.ok(!response.body.includes(canary));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps form bodies off every other route', async () => {
    const response = await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: 'name=x', headers: { cookie: org.cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json<{ code: string }>().code, 'unsupported_media_type');
  });
});
