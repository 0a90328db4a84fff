// Attacks on the token endpoint: client enumeration, wrong methods, forged or replayed client
// assertions, and minting credentials for an account more powerful than oneself.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { basic, createClient, seedOrg, seedServiceAccount, tokenRequest, type CreatedClient, type OrgFixture } from './oauth-test-fixture.ts';
import { JWT_BEARER_ASSERTION_TYPE } from './client-credentials.ts';

describe('the token endpoint under attack (AUTH-7)', () => {
  let t: TestApp;
  let org: OrgFixture;
  let account: string;
  let secretClient: CreatedClient;
  let jwtClient: CreatedClient;
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  let issuer: string;

  before(async () => {
    t = await createTestApp();
    issuer = t.config.publicUrl;
    org = await seedOrg(t, 'token');
    account = await seedServiceAccount(t, org, 'Robot', ['service_account']);
    secretClient = await createClient(t, org, account, { name: 'secret' });
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1' };
    jwtClient = await createClient(t, org, account, { name: 'jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } });
  });
  after(async () => {
    await t.close();
  });

  const grant = { grant_type: 'client_credentials' };
  async function assertion(claims: Record<string, unknown> = {}, options: { key?: CryptoKey; alg?: string; kid?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: jwtClient.client_id, sub: jwtClient.client_id, aud: issuer, jti: crypto.randomUUID(), iat: now, exp: now + 60, ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'EdDSA', kid: options.kid ?? 'k1' })
      .sign(options.key ?? privateKey);
  }
  const withAssertion = (jwt: string) => tokenRequest(t, { ...grant, client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: jwt });

  it('AUTH-7: an unknown client and a wrong secret get the same invalid_client answer', async () => {
    const unknown = crypto.randomUUID();
    const answers = [
      await tokenRequest(t, grant, { authorization: basic(unknown, secretClient.client_secret ?? '') }),
      await tokenRequest(t, grant, { authorization: basic(secretClient.client_id, `${secretClient.client_secret ?? ''}x`) }),
      await tokenRequest(t, grant, { authorization: basic('not-a-uuid', 'whatever') }),
      // A private_key_jwt client cannot fall back to a secret.
      await tokenRequest(t, grant, { authorization: basic(jwtClient.client_id, secretClient.client_secret ?? '') }),
    ];
    for (const response of answers) {
      assert.equal(response.statusCode, 401);
      assert.deepEqual(response.json(), { error: 'invalid_client', error_description: 'Client authentication failed.' });
      assert.equal(response.headers['www-authenticate'], 'Basic realm="parapet", charset="UTF-8"');
    }
    const posted = [
      await tokenRequest(t, { ...grant, client_id: unknown, client_secret: 'pcs_x' }),
      // A client registered for client_secret_basic cannot switch to the body.
      await tokenRequest(t, { ...grant, client_id: secretClient.client_id, client_secret: secretClient.client_secret ?? '' }),
    ];
    for (const response of posted) {
      assert.equal(response.statusCode, 401);
      assert.equal(response.json<{ error: string }>().error, 'invalid_client');
    }
    assert.equal((await tokenRequest(t, grant, { authorization: basic(secretClient.client_id, secretClient.client_secret ?? '') })).statusCode, 200);
  });

  it('AUTH-7: a client secret has 256 bits and only its SHA-256 is stored', async () => {
    const secret = secretClient.client_secret ?? '';
    assert.equal(Buffer.from(secret.replace(/^pcs_/, ''), 'base64url').length, 32);
    const row = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('oauth_clients').selectAll().where('id', '=', secretClient.client_id).executeTakeFirstOrThrow());
    assert.deepEqual(Buffer.from(row.secret_hash ?? []), createHash('sha256').update(secret).digest());
    assert.ok(!JSON.stringify(row).includes(secret));
  });

  it('AUTH-7: a private_key_jwt assertion is accepted once; its replay is refused, on this node and on another', async () => {
    const jwt = await assertion();
    assert.equal((await withAssertion(jwt)).statusCode, 200);
    const replay = await withAssertion(jwt);
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json<{ error: string }>().error, 'invalid_client');
    const second = await createTestApp({ database: t.database });
    try {
      const elsewhere = await second.inject({ method: 'POST', url: '/oauth/token', payload: new URLSearchParams({ ...grant, client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: jwt }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(elsewhere.statusCode, 401);
    } finally {
      await second.close();
    }
  });

  it('AUTH-7: assertions that are unsigned, HMAC-signed with the public key, from another key, mis-addressed or long-lived are refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { iss: jwtClient.client_id, sub: jwtClient.client_id, aud: issuer, jti: crypto.randomUUID(), iat: now, exp: now + 60 };
    const none = `${b64({ alg: 'none', kid: 'k1' })}.${b64(claims)}.`;
    const hmacInput = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64({ ...claims, jti: crypto.randomUUID() })}`;
    const hs256 = [JSON.stringify(publicJwk), publicJwk.x ?? '', Buffer.from(publicJwk.x ?? '', 'base64url')].map((secret) => `${hmacInput}.${createHmac('sha256', secret).update(hmacInput).digest('base64url')}`);
    const stranger = await generateKeyPair('EdDSA');
    const forged = [
      none,
      ...hs256,
      await assertion({}, { key: stranger.privateKey }),
      await assertion({ aud: 'https://other.example' }),
      await assertion({ iss: crypto.randomUUID() }),
      await assertion({ exp: now + 301 + 30 }),
      await assertion({ exp: now - 31 }),
      await assertion({ jti: undefined }),
    ];
    for (const jwt of forged) {
      const response = await withAssertion(jwt);
      assert.equal(response.statusCode, 401, jwt.slice(0, 60));
      assert.equal(response.json<{ error: string }>().error, 'invalid_client');
    }
    // The token endpoint URL is an acceptable audience too (RFC 7523 §3 item 3).
    assert.equal((await withAssertion(await assertion({ aud: `${issuer}/oauth/token` }))).statusCode, 200);
  });

  it('AUTH-7: nobody can mint credentials for a service account that holds more than they do', async () => {
    const admin = await seedServiceAccount(t, org, 'Almighty', ['tenant_admin']);
    const email = `secadmin-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await t.transactor.withTenant(org.orgId, async (tx) => {
      await tx.insertInto('memberships').values({ tenant_id: org.orgId, user_id: user.id, role: 'member', created_at: new Date() }).execute();
      await t.app.services.access.insertBinding(tx, { tenant_id: org.orgId, id: crypto.randomUUID(), principal_type: 'user', principal_id: user.id, built_in_role: 'security_admin', custom_role_id: null, project_id: null, environment_id: null, conditions: null, expires_at: null, grant_id: null, created_by: null, created_at: new Date(), last_used_at: null });
      await t.app.services.access.changed(tx, org.orgId);
    });
    const cookie = await t.login(email, TEST_PASSWORD);
    const url = (sa: string) => `/api/v1/organizations/${org.orgId}/service-accounts/${sa}/clients`;
    const refused = await t.inject({ method: 'POST', url: url(admin), payload: { name: 'escalate' }, headers: { cookie } });
    assert.equal(refused.statusCode, 403);
    assert.ok(!refused.body.includes('client_secret'));
    const allowed = await t.inject({ method: 'POST', url: url(account), payload: { name: 'fine' }, headers: { cookie } });
    assert.equal(allowed.statusCode, 201);
  });
});
