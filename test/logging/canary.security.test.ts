// Plants a known password and captures the session token it produces, runs setup, login and
// logout with logging at debug (and errors forced), then scans every log line for either string.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { basic, createClient, seedOrg, seedServiceAccount, tokenRequest } from '../../src/modules/oauth/oauth-test-fixture.ts';
import { createTestApp } from '../support/app.ts';

const CANARY_PASSWORD = 'canary passphrase 5d1f0e9b7c';

describe('secrets never reach the logs or the audit log', () => {
  it('passwords, setup tokens and session tokens are absent from debug logs', async () => {
    const t = await createTestApp({ logLevel: 'debug' });
    try {
      const link = await t.app.services.setup.issueLink(t.config.publicUrl);
      const setupToken = new URL(link ?? '').hash.replace('#token=', '');
      const created = await t.inject({ method: 'POST', url: '/api/v1/setup', payload: { token: setupToken, email: 'canary@example.com', password: CANARY_PASSWORD, display_name: 'Canary' } });
      assert.equal(created.statusCode, 201);
      const login = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'canary@example.com', password: CANARY_PASSWORD } });
      assert.equal(login.statusCode, 200);
      const sessionToken = login.cookies.find((c) => c.name === 'parapet_session')?.value ?? '';
      assert.equal(sessionToken.length, 43);
      const cookie = `parapet_session=${sessionToken}`;
      await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie, authorization: `Bearer ${sessionToken}` } });
      // Failures log at debug too: a wrong password and malformed input.
      await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'canary@example.com', password: `${CANARY_PASSWORD}!` } });
      await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: `{"password":"${CANARY_PASSWORD}"`, headers: { 'content-type': 'application/json' } });
      assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })).statusCode, 204);
      // The logger itself redacts secret-named fields if code ever logs them.
      t.app.http.log.info({ password: CANARY_PASSWORD, token: sessionToken, headers: { cookie } }, 'deliberate');

      assert.ok(t.logs.length > 10, `expected debug logs, got ${t.logs.length} lines`);
      for (const line of t.logs) {
        assert.ok(!line.includes(CANARY_PASSWORD), `password in log: ${line}`);
        assert.ok(!line.includes(sessionToken), `session token in log: ${line}`);
        assert.ok(!line.includes(setupToken), `setup token in log: ${line}`);
      }
      assert.ok(t.logs.some((line) => line.includes('deliberate') && line.includes('[redacted]')));

      // AUD-1: the audit events of these flows (setup, sign-ins, failures, API calls) hold neither.
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(events.some((e) => e.action === 'session.login_failed') && events.some((e) => e.action === 'setup.completed'));
      for (const event of events) {
        const text = Buffer.from(event.canonical).toString('utf8');
        for (const secret of [CANARY_PASSWORD, sessionToken, setupToken]) assert.ok(!text.includes(secret), `secret in audit event ${event.action}`);
      }
    } finally {
      await t.close();
    }
  });

  it('OAuth client secrets, client assertions and access tokens are absent from debug logs and audit events', async () => {
    const t = await createTestApp({ logLevel: 'debug' });
    try {
      const org = await seedOrg(t, 'canary');
      const account = await seedServiceAccount(t, org, 'Canary robot', ['viewer']);
      const secretClient = await createClient(t, org, account, { name: 'secret' });
      const secret = secretClient.client_secret ?? '';
      assert.match(secret, /^pcs_/);
      const issued = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basic(secretClient.client_id, secret) });
      assert.equal(issued.statusCode, 200);
      const accessToken = issued.json<{ access_token: string }>().access_token;
      assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { authorization: `Bearer ${accessToken}` } })).statusCode, 200);
      // Failures log at debug too: the secret posted to the wrong method, a tampered token, a malformed body holding the secret.
      await tokenRequest(t, { grant_type: 'client_credentials', client_id: secretClient.client_id, client_secret: secret });
      await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { authorization: `Bearer ${accessToken}x` } });
      await t.inject({ method: 'POST', url: '/oauth/token', payload: `client_secret=${secret}&client_secret=${secret}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

      const { privateKey, publicKey } = await generateKeyPair('EdDSA');
      const jwtClient = await createClient(t, org, account, { name: 'jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(publicKey)] } });
      const assertion = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(jwtClient.client_id).setSubject(jwtClient.client_id).setAudience(t.config.publicUrl).setExpirationTime('1m').sign(privateKey);
      const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
      assert.equal((await tokenRequest(t, form)).statusCode, 200);
      assert.equal((await tokenRequest(t, form)).statusCode, 401);

      const secrets = [secret, accessToken, assertion, accessToken.split('.')[2] ?? '', assertion.split('.')[2] ?? ''];
      assert.ok(t.logs.length > 10);
      for (const line of t.logs) for (const planted of secrets) assert.ok(!line.includes(planted), `OAuth secret in log: ${line}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(events.some((e) => e.action === 'oauth.token_issued') && events.some((e) => e.action === 'oauth.token_refused') && events.some((e) => e.action === 'oauth_client.created'));
      for (const event of events) {
        const text = Buffer.from(event.canonical).toString('utf8');
        for (const planted of secrets) assert.ok(!text.includes(planted), `OAuth secret in audit event ${event.action}`);
      }
    } finally {
      await t.close();
    }
  });
});
