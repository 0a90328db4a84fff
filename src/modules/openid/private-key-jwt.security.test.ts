import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { authorizationRequest, Browser, createApplication, newUser, REDIRECT_URI, signIn, startProvider, type Running } from './openid-test-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicJwk: jose.JWK;
}

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

describe('private_key_jwt client authentication and per-application token lifetimes', () => {
  let r: Running;
  let keysA: KeyPair;
  let keysB: KeyPair;
  let appA: string;
  let appB: string;
  let jwksServer: Server;
  let jwksServerUrl: string;

  async function register(body: Record<string, unknown>) {
    return createApplication(r, { token_endpoint_auth_method: 'private_key_jwt', ...body });
  }

  /** A client assertion (RFC 7523 §3), with any claim overridden. */
  async function assertion(clientId: string, key: CryptoKey, overrides: Record<string, unknown> = {}, alg = 'ES256') {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: clientId, sub: clientId, aud: `${r.issuer}/oidc/token`, jti: crypto.randomUUID(), iat: now, exp: now + 60, ...overrides };
    return new jose.SignJWT(claims).setProtectedHeader({ alg }).sign(key);
  }

  /** Posts a token request whose grant is bogus: 400 invalid_grant means the client authenticated, 401 invalid_client that it did not. */
  async function authenticate(clientAssertion: string, clientId?: string) {
    const response = await fetch(`${r.issuer}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43), client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion, ...(clientId === undefined ? {} : { client_id: clientId }) }).toString(),
    });
    return { status: response.status, error: ((await response.json()) as { error?: string }).error };
  }

  before(async () => {
    // Loopback is an allowed network here so a jwks_uri served by this test can be fetched.
    r = await startProvider('pkjwt', { PARAPET_OIDC_BACKCHANNEL_ALLOWED_NETWORKS: '127.0.0.0/8' });
    keysA = await keyPair('a-1');
    keysB = await keyPair('b-1');
    const createdA = await register({ jwks: { keys: [keysA.publicJwk] }, access_token_ttl_seconds: 300, id_token_ttl_seconds: 600, refresh_token_ttl_seconds: 3600 });
    assert.equal(createdA.statusCode, 201, createdA.body);
    assert.equal(createdA.json<{ client_secret?: string }>().client_secret, undefined, 'no secret for private_key_jwt');
    appA = createdA.json<{ client_id: string }>().client_id;
    const createdB = await register({ jwks: { keys: [keysB.publicJwk] } });
    assert.equal(createdB.statusCode, 201, createdB.body);
    appB = createdB.json<{ client_id: string }>().client_id;
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [keysB.publicJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksServerUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  });
  after(async () => {
    jwksServer.close();
    await r.t.close();
  });

  it('an openid-client RP with private_key_jwt signs in, refreshes, and gets the lifetimes registered for it', async () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, for these tests only
    const config = await oidc.discovery(new URL(r.issuer), appA, { id_token_signed_response_alg: 'EdDSA' }, oidc.PrivateKeyJwt(keysA.privateKey), { execute: [oidc.allowInsecureRequests] });
    const request = await authorizationRequest(config);
    const callback = await signIn(r, new Browser(r.issuer), request.url, await newUser(r, 'pkjwt'));
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(tokens.expires_in, 300);
    const idToken = tokens.claims();
    assert.equal((idToken?.exp ?? 0) - (idToken?.iat ?? 0), 600);
    const refresh = await r.t.transactor.withPlatform((tx) => tx.selectFrom('oidc_artifacts').select('expires_at').where('kind', '=', 'RefreshToken').orderBy('expires_at', 'desc').executeTakeFirst());
    const remaining = ((refresh?.expires_at?.getTime() ?? 0) - Date.now()) / 1000;
    assert.ok(remaining > 3000 && remaining <= 3600, String(remaining));
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal(refreshed.expires_in, 300);
  });

  it('a genuine assertion authenticates; the same assertion a second time is refused (jti replay)', async () => {
    const once = await assertion(appA, keysA.privateKey);
    assert.deepEqual(await authenticate(once), { status: 400, error: 'invalid_grant' });
    assert.deepEqual(await authenticate(once), { status: 401, error: 'invalid_client' });
  });

  it('an assertion for another audience is refused', async () => {
    for (const aud of ['https://evil.example/oidc/token', `${r.issuer}/oauth/token`, appA]) {
      assert.deepEqual(await authenticate(await assertion(appA, keysA.privateKey, { aud })), { status: 401, error: 'invalid_client' }, aud);
    }
  });

  it('an expired assertion, or one without exp or jti, is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.deepEqual(await authenticate(await assertion(appA, keysA.privateKey, { iat: now - 600, exp: now - 300 })), { status: 401, error: 'invalid_client' });
    assert.deepEqual(await authenticate(await assertion(appA, keysA.privateKey, { exp: undefined })), { status: 401, error: 'invalid_client' });
    assert.deepEqual(await authenticate(await assertion(appA, keysA.privateKey, { jti: undefined })), { status: 401, error: 'invalid_client' });
  });

  it("another application's key does not authenticate this application", async () => {
    // B's genuine key, claiming to be A: the signature does not verify with A's registered keys.
    assert.deepEqual(await authenticate(await assertion(appA, keysB.privateKey)), { status: 401, error: 'invalid_client' });
    // Nor with client_id naming B while the assertion names A (the request itself is refused).
    assert.deepEqual(await authenticate(await assertion(appA, keysB.privateKey), appB), { status: 400, error: 'invalid_request' });
    // And B authenticates with its own.
    assert.deepEqual(await authenticate(await assertion(appB, keysB.privateKey)), { status: 400, error: 'invalid_grant' });
  });

  it('a symmetric (HS256) assertion is refused, whatever it is keyed with', async () => {
    for (const secret of [new TextEncoder().encode('a shared secret that is long enough!'), new TextEncoder().encode(JSON.stringify(keysA.publicJwk))]) {
      assert.deepEqual(await authenticate(await assertion(appA, secret as unknown as CryptoKey, {}, 'HS256')), { status: 401, error: 'invalid_client' });
    }
    const unsigned = `${jose.base64url.encode(JSON.stringify({ alg: 'none' }))}.${jose.base64url.encode(JSON.stringify({ iss: appA, sub: appA, aud: `${r.issuer}/oidc/token`, jti: crypto.randomUUID(), exp: Math.floor(Date.now() / 1000) + 60 }))}.`;
    assert.deepEqual(await authenticate(unsigned), { status: 401, error: 'invalid_client' });
  });

  it('registration refuses a symmetric key, a private key, a short RSA key, and private_key_jwt without exactly one key source', async () => {
    const { privateKey: rsaPrivate } = await jose.generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    const privateEc = { ...(await jose.exportJWK(keysA.privateKey)), kid: 'p' };
    const privateRsa = await jose.exportJWK(rsaPrivate);
    const cases: [string, Record<string, unknown>][] = [
      ['symmetric', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', alg: 'HS256' }] } }],
      ['private EC', { jwks: { keys: [privateEc] } }],
      ['private RSA', { jwks: { keys: [privateRsa] } }],
      ['short RSA', { jwks: { keys: [{ kty: 'RSA', n: Buffer.alloc(128, 0xff).toString('base64url'), e: 'AQAB' }] } }],
    ];
    for (const [label, body] of cases) {
      const response = await register(body);
      assert.equal(response.statusCode, 400, label);
      assert.equal(response.json<{ code: string }>().code, 'invalid_client_jwks', label);
      // Never echoed back.
      const secretPart = (body['jwks'] as { keys: { k?: string; d?: string }[] }).keys[0];
      assert.ok(!response.body.includes(secretPart?.d ?? secretPart?.k ?? '\u0000'), label);
    }
    for (const body of [{}, { jwks: { keys: [keysA.publicJwk] }, jwks_uri: 'https://app.example.com/jwks' }, { token_endpoint_auth_method: 'client_secret_basic', jwks: { keys: [keysA.publicJwk] } }, { client_type: 'public', jwks: { keys: [keysA.publicJwk] } }]) {
      const response = await register(body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
    }
  });

  it('token lifetimes outside the platform bounds are refused at registration', async () => {
    for (const body of [{ access_token_ttl_seconds: 3601 }, { access_token_ttl_seconds: 59 }, { id_token_ttl_seconds: 7200 }, { refresh_token_ttl_seconds: 604_801 }, { refresh_token_ttl_seconds: 60 }]) {
      const response = await createApplication(r, body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
    }
  });

  it('a jwks_uri is fetched through the outbound address guard: an allowed network works, a private or metadata address is refused', async () => {
    const viaUri = await register({ jwks_uri: jwksServerUrl });
    assert.equal(viaUri.statusCode, 201, viaUri.body);
    const viaUriId = viaUri.json<{ client_id: string }>().client_id;
    assert.deepEqual(await authenticate(await assertion(viaUriId, keysB.privateKey)), { status: 400, error: 'invalid_grant' });
    for (const uri of ['https://10.0.0.1/jwks', 'https://169.254.169.254/latest/meta-data/jwks', 'https://[fd00::1]/jwks']) {
      const guarded = await register({ jwks_uri: uri });
      assert.equal(guarded.statusCode, 201, guarded.body);
      assert.deepEqual(await authenticate(await assertion(guarded.json<{ client_id: string }>().client_id, keysB.privateKey)), { status: 401, error: 'invalid_client' }, uri);
    }
    assert.ok(r.t.logs.some((line) => line.includes("an application's jwks_uri could not be used") && line.includes('private or reserved')));
  });
});
