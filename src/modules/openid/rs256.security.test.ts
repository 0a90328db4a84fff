import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { application, authorizationRequest, Browser, createApplication, newUser, REDIRECT_URI, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const API = 'https://api-rs.example.com/';

/** A JWT signed with HS256 under `secret`, or unsigned when `secret` is undefined (alg none). */
function forge(alg: 'HS256' | 'none', claims: Record<string, unknown>, kid: string, secret?: Buffer | string): string {
  const head = Buffer.from(JSON.stringify({ alg, kid, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = secret === undefined ? '' : createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

describe('RS256 ID tokens and JWT access tokens beside EdDSA (OIDC Core §15.1)', () => {
  let r: Running;
  let app: CreatedApplication;
  let config: oidc.Configuration;

  async function discoverRs256(client: CreatedApplication): Promise<oidc.Configuration> {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, for these tests only
    return oidc.discovery(new URL(r.issuer), client.client_id, { id_token_signed_response_alg: 'RS256' }, oidc.ClientSecretBasic(client.client_secret ?? ''), { execute: [oidc.allowInsecureRequests] });
  }

  async function signInWith(extra: Record<string, string> = {}) {
    const request = await authorizationRequest(config, extra);
    const callback = await signIn(r, new Browser(r.issuer), request.url, await newUser(r, 'rs256'));
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    return oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, extra['resource'] === undefined ? undefined : { resource: extra['resource'] });
  }

  before(async () => {
    r = await startProvider('rs256');
    app = await application(r, { id_token_signed_response_alg: 'RS256' });
    config = await discoverRs256(app);
    const api = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/resource-servers`, payload: { name: 'RSA API', identifier: API, scopes: ['orders:read'], access_token_signing_alg: 'RS256' }, headers: { cookie: r.org.cookie } });
    assert.equal(api.statusCode, 201, api.body);
    assert.equal(api.json<{ access_token_signing_alg: string }>().access_token_signing_alg, 'RS256');
  });
  after(async () => {
    await r.t.close();
  });

  it('an openid-client RP configured for RS256 signs in and verifies an RS256 ID token signed by a published RSA key of at least 3072 bits', async () => {
    assert.deepEqual(config.serverMetadata().id_token_signing_alg_values_supported, ['EdDSA', 'RS256']);
    const tokens = await signInWith();
    const idToken = tokens.id_token ?? '';
    const header = jose.decodeProtectedHeader(idToken);
    assert.equal(header.alg, 'RS256');
    // Verified independently of openid-client too, with the key the JWKS publishes under that kid.
    const { payload } = await jose.jwtVerify(idToken, jose.createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`)), { issuer: r.issuer, audience: app.client_id, algorithms: ['RS256'] });
    assert.equal(payload.sub, tokens.claims()?.sub);
    const jwks = (await (await fetch(`${r.issuer}/oidc/jwks`)).json()) as { keys: (jose.JWK & { kid: string })[] };
    const rsa = jwks.keys.find((key) => key.kid === header.kid);
    assert.ok(rsa !== undefined && rsa.kty === 'RSA' && rsa.alg === 'RS256' && rsa.use === 'sig');
    assert.equal(rsa.d, undefined, 'no private part is published');
    assert.ok((createPublicKey({ key: rsa, format: 'jwk' }).asymmetricKeyDetails?.modulusLength ?? 0) >= 3072);
    // The EdDSA keys are still published beside it, and refresh keeps RS256.
    assert.ok(jwks.keys.some((key) => key.kty === 'OKP' && key.alg === 'EdDSA'));
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal(jose.decodeProtectedHeader(refreshed.id_token ?? '').alg, 'RS256');
  });

  it('an application left at the default gets EdDSA ID tokens, as before', async () => {
    const plain = await application(r);
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, for these tests only
    const plainConfig = await oidc.discovery(new URL(r.issuer), plain.client_id, { id_token_signed_response_alg: 'EdDSA' }, oidc.ClientSecretBasic(plain.client_secret ?? ''), { execute: [oidc.allowInsecureRequests] });
    const request = await authorizationRequest(plainConfig);
    const callback = await signIn(r, new Browser(r.issuer), request.url, await newUser(r, 'eddsa'));
    const tokens = await oidc.authorizationCodeGrant(plainConfig, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(jose.decodeProtectedHeader(tokens.id_token ?? '').alg, 'EdDSA');
  });

  it('a JWT access token for a resource server registered for RS256 is RS256, verifiable from the JWKS', async () => {
    const tokens = await signInWith({ scope: 'openid orders:read', resource: API });
    const { protectedHeader, payload } = await jose.jwtVerify(tokens.access_token, jose.createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`)), { issuer: r.issuer, audience: API, typ: 'at+jwt', algorithms: ['RS256'] });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload['scope'], 'orders:read');
  });

  it('an algorithm not offered (HS256, none, PS256, ES256) is refused at registration, and nothing is registered', async () => {
    const before = await r.t.inject({ method: 'GET', url: `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/applications`, headers: { cookie: r.org.cookie } });
    for (const alg of ['HS256', 'none', 'PS256', 'ES256', 'rs256']) {
      const response = await createApplication(r, { id_token_signed_response_alg: alg });
      assert.equal(response.statusCode, 400, alg);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      const api = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/resource-servers`, payload: { name: 'X', identifier: `https://x-${alg}.example.com/`, scopes: ['a'], access_token_signing_alg: alg }, headers: { cookie: r.org.cookie } });
      assert.equal(api.statusCode, 400, alg);
    }
    const afterList = await r.t.inject({ method: 'GET', url: `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/applications`, headers: { cookie: r.org.cookie } });
    assert.equal(afterList.json<{ items: unknown[] }>().items.length, before.json<{ items: unknown[] }>().items.length);
  });

  it('alg confusion: an ID token forged with HS256 keyed by the RSA public key, or unsigned, is refused as id_token_hint', async () => {
    const genuine = (await signInWith()).id_token ?? '';
    const claims = jose.decodeJwt(genuine);
    const { kid } = jose.decodeProtectedHeader(genuine);
    const jwks = (await (await fetch(`${r.issuer}/oidc/jwks`)).json()) as { keys: (jose.JWK & { kid: string })[] };
    const rsa = jwks.keys.find((key) => key.kid === kid);
    assert.ok(rsa !== undefined);
    const publicKey = createPublicKey({ key: rsa, format: 'jwk' });
    const bye = encodeURIComponent('http://127.0.0.1:9/bye');
    const logout = (hint: string) => fetch(`${r.issuer}/oidc/session/end?id_token_hint=${hint}&post_logout_redirect_uri=${bye}`, { redirect: 'manual' });
    // The genuine hint is accepted (the confirmation form), so the refusals below are the forgery's.
    assert.equal((await logout(genuine)).status, 200);
    const secrets: (Buffer | string)[] = [publicKey.export({ format: 'pem', type: 'spki' }), publicKey.export({ format: 'pem', type: 'pkcs1' }), publicKey.export({ format: 'der', type: 'spki' }), JSON.stringify(rsa), rsa.n ?? ''];
    for (const secret of secrets) {
      const forged = await logout(forge('HS256', claims, kid ?? '', secret));
      assert.equal(forged.status, 400);
      assert.equal(forged.headers.get('location'), null);
    }
    const unsigned = await logout(forge('none', claims, kid ?? ''));
    assert.equal(unsigned.status, 400);
    assert.equal(unsigned.headers.get('location'), null);
    // And the resource-server side: jose with RS256 pinned refuses the HS256 forgery of an access token.
    await assert.rejects(jose.jwtVerify(forge('HS256', { ...claims, aud: API }, kid ?? '', publicKey.export({ format: 'pem', type: 'spki' })), jose.createRemoteJWKSet(new URL(`${r.issuer}/oidc/jwks`)), { algorithms: ['RS256'] }));
  });

  it('the RSA private key is stored only sealed: the database row holds none of its parts', async () => {
    const rows = await r.t.transactor.withPlatform((tx) => tx.selectFrom('oidc_rsa_signing_keys').selectAll().execute());
    assert.ok(rows.length >= 1);
    const jwks = (await (await fetch(`${r.issuer}/oidc/jwks`)).json()) as { keys: (jose.JWK & { kid: string })[] };
    for (const row of rows) {
      assert.match(row.sealed_private_key, /^pk1\.1\.[\w-]+\.[\w-]+$/);
      assert.ok(jwks.keys.some((key) => key.kid === row.kid), 'every stored key is published');
      const text = JSON.stringify(row);
      assert.ok(!text.includes('PRIVATE KEY'));
      // The public modulus is not in the row either (it is encrypted with the rest of the key).
      const published = jwks.keys.find((key) => key.kid === row.kid);
      assert.ok(!text.includes((published?.n ?? 'x').slice(0, 40)));
    }
  });
});
