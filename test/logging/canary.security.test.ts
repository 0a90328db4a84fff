// Plants a known password and captures the session token it produces, runs setup, login and
// logout with logging at trace, the most verbose level (and errors forced), then scans every log
// line for either string.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { basic, createClient, seedOrg, seedServiceAccount, tokenRequest } from '../../src/modules/oauth/oauth-test-fixture.ts';
import { signRequest } from '../../src/sdk/index.ts';
import { configCheck } from '../../src/cli/config-check.ts';
import { createTestCertificates } from '../../src/modules/audit-streaming/tls-test-fixture.ts';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp.ts';
import { createTestApp, sessionCookie, TEST_PASSWORD } from '../support/app.ts';
import { linkToken, startTestSmtp } from '../support/smtp.ts';
import { authenticatorFor, passwordlessOptions, registerPasskey, verifyPasswordless } from '../support/passkeys.ts';
import { cliContext } from '../support/cli-context.ts';

const CANARY_PASSWORD = 'canary passphrase 5d1f0e9b7c';

describe('secrets never reach the logs or the audit log', () => {
  it('passwords, setup tokens and session tokens are absent from trace logs', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
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
      // Failures log too: a wrong password and malformed input.
      await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'canary@example.com', password: `${CANARY_PASSWORD}!` } });
      await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: `{"password":"${CANARY_PASSWORD}"`, headers: { 'content-type': 'application/json' } });
      assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })).statusCode, 204);
      // The logger itself redacts secret-named fields if code ever logs them.
      t.app.http.log.info({ password: CANARY_PASSWORD, token: sessionToken, headers: { cookie } }, 'deliberate');

      assert.ok(t.logs.length > 10, `expected trace logs, got ${t.logs.length} lines`);
      // Trace is the most verbose level, and it says something: transactions and the
      // authentication and authorization decisions each leave a line.
      for (const message of ['transaction committed', 'authentication decision']) assert.ok(t.logs.some((line) => line.includes('"level":10') && line.includes(message)), `no trace line "${message}"`);
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
  it('AUTH-1, AUTH-2, ENC-4: TOTP seeds, recovery codes, pending sign-ins and checked passwords are absent from trace logs and audit events', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    try {
      await t.createUser('mfa-canary@example.com', TEST_PASSWORD);
      const cookie = await t.login('mfa-canary@example.com', TEST_PASSWORD);
      const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
      const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totp(base32Decode(secret), new Date()) }, headers: { cookie } });
      const codes = confirmed.json<{ recovery_codes: string[] }>().recovery_codes;
      assert.equal(codes.length, 10);
      const pending = (await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'mfa-canary@example.com', password: TEST_PASSWORD } })).cookies.find((c) => c.name === 'parapet_mfa')?.value ?? '';
      assert.equal(pending.length, 43);
      const [used = '', other = ''] = codes;
      // A wrong code, a recovery code that works, one replayed, a step-up with a recovery code, a strength check.
      await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'recovery_code', code: `${other}x` }, headers: { cookie: `parapet_mfa=${pending}` } });
      const done = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'recovery_code', code: used }, headers: { cookie: `parapet_mfa=${pending}` } });
      assert.equal(done.statusCode, 200);
      await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'recovery_code', code: used }, headers: { cookie: `parapet_mfa=${pending}` } });
      assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/reauthenticate', payload: { password: TEST_PASSWORD, method: 'recovery_code', code: other }, headers: { cookie: sessionCookie(done) } })).statusCode, 200);
      await t.inject({ method: 'POST', url: '/api/v1/auth/password/strength', payload: { password: CANARY_PASSWORD } });
      const planted = [secret, pending, CANARY_PASSWORD, ...codes, ...codes.map((c) => c.replaceAll('-', ''))];
      assert.ok(t.logs.length > 10);
      for (const line of t.logs) for (const value of planted) assert.ok(!line.includes(value), `MFA secret in log: ${line}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(['mfa.factor_enrolled', 'mfa.recovery_code_used', 'session.mfa_failed', 'session.reauthenticated'].every((action) => events.some((e) => e.action === action)));
      for (const event of events) for (const value of planted) assert.ok(!Buffer.from(event.canonical).toString('utf8').includes(value), `MFA secret in audit event ${event.action}`);
    } finally {
      await t.close();
    }
  });

  it('AUTH-3: passkey ceremony cookies and the sessions passkeys open are absent from trace logs and audit events', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    try {
      const user = await t.createUser(`passkey-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
      const key = authenticatorFor(t);
      await registerPasskey(t, await t.login(user.email, TEST_PASSWORD), key);
      const first = await passwordlessOptions(t);
      const signedIn = await verifyPasswordless(t, first.ceremony, key.get(first.options));
      assert.equal(signedIn.statusCode, 200);
      const second = await passwordlessOptions(t);
      assert.equal((await verifyPasswordless(t, second.ceremony, key.get(second.options, { origin: 'https://evil.example' }))).statusCode, 401);
      const secrets = [first.ceremony.split('=')[1] ?? '', second.ceremony.split('=')[1] ?? '', sessionCookie(signedIn).split('=')[1] ?? ''];
      assert.ok(secrets.every((secret) => secret.length === 43));
      for (const line of t.logs) for (const planted of secrets) assert.ok(!line.includes(planted), `passkey ceremony or session secret in log: ${line}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(events.some((e) => e.action === 'passkey.registered') && events.some((e) => e.action === 'session.login_failed'));
      for (const event of events) {
        const text = Buffer.from(event.canonical).toString('utf8');
        for (const planted of secrets) assert.ok(!text.includes(planted), `passkey secret in audit event ${event.action}`);
      }
    } finally {
      await t.close();
    }
  });

  it('AUTH-7, AUTH-8: API keys and signing secrets are absent from trace logs and audit events', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    try {
      const user = await t.createUser(`keys-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
      const cookie = await t.login(user.email, TEST_PASSWORD);
      const org = (await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Canary keys' }, headers: { cookie } })).json<{ id: string }>().id;
      const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org}/api-keys`, payload: { name: 'canary', role: 'tenant_admin', signing: 'required' }, headers: { cookie } });
      assert.equal(created.statusCode, 201);
      const { id, key, signing_secret: secret } = created.json<{ id: string; key: string; signing_secret: string }>();
      const url = `/api/v1/organizations/${org}/api-keys?limit=5`;
      // Accepted, replayed, wrongly signed, unsigned, malformed: every path that sees the key.
      const headers = signRequest({ key, secret, method: 'GET', url });
      assert.equal((await t.inject({ method: 'GET', url, headers: { ...headers } })).statusCode, 200);
      assert.equal((await t.inject({ method: 'GET', url, headers: { ...headers } })).statusCode, 401);
      assert.equal((await t.inject({ method: 'GET', url: `${url}&x=1`, headers: { ...signRequest({ key, secret, method: 'GET', url }) } })).statusCode, 401);
      assert.equal((await t.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } })).statusCode, 401);
      assert.equal((await t.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key.slice(0, -1)}x` } })).statusCode, 401);
      const rotateUrl = `/api/v1/organizations/${org}/api-keys/${id}/rotate`;
      const rotated = await t.inject({ method: 'POST', url: rotateUrl, payload: {}, headers: { cookie } });
      assert.equal(rotated.statusCode, 201);
      const successor = rotated.json<{ key: { key: string; signing_secret: string } }>().key;
      const body = JSON.stringify({ name: 'renamed with a key' });
      const patch = `/api/v1/organizations/${org}`;
      assert.equal((await t.inject({ method: 'PATCH', url: patch, payload: body, headers: { ...signRequest({ key: successor.key, secret: successor.signing_secret, method: 'PATCH', url: patch, body }), 'content-type': 'application/json' } })).statusCode, 200);
      await t.app.services.apiKeys.usage.flush();

      const secrets = [key, secret, successor.key, successor.signing_secret, key.slice(-49), successor.key.slice(-49)];
      for (const line of t.logs) for (const planted of secrets) assert.ok(!line.includes(planted), `API key material in log: ${line}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      for (const tenant of [org, '00000000-0000-0000-0000-000000000000']) {
        const events = await t.transactor.withTenant(tenant, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
        if (tenant === org) assert.ok(events.some((e) => e.action === 'api_key.created') && events.some((e) => e.action === 'api_key.signature_rejected') && events.some((e) => e.action === 'api_key.rotated'));
        for (const event of events) {
          const text = Buffer.from(event.canonical).toString('utf8');
          for (const planted of secrets) assert.ok(!text.includes(planted), `API key material in audit event ${event.action}`);
        }
      }
    } finally {
      await t.close();
    }
  });

  it('OAuth client secrets, client assertions and access tokens are absent from trace logs and audit events', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
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
      // Failures log too: the secret posted to the wrong method, a tampered token, a malformed body holding the secret.
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

  it('DATA-3: an account deletion cancel token is absent from logs and the audit log, even when its delivery fails with it in the error', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    try {
      t.app.services.lifecycle.deletions.setNotifier({
        notify: (notice) => Promise.reject(new Error(`550 rejected message: ${'cancelToken' in notice ? notice.cancelToken : ''}`)),
      });
      await t.createUser('leaver-canary@example.com', TEST_PASSWORD);
      const cookie = await t.login('leaver-canary@example.com', TEST_PASSWORD);
      const deleted = await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie } });
      assert.equal(deleted.statusCode, 202, deleted.body);
      const { cancel_token: token, owner_notified: notified } = deleted.json<{ cancel_token: string; owner_notified: boolean }>();
      assert.equal(notified, false);
      await t.inject({ method: 'POST', url: '/api/v1/users/deletion/cancel', payload: { token } });
      assert.ok(t.logs.some((line) => line.includes('deletion notice not delivered')));
      for (const line of t.logs) assert.ok(!line.includes(token), `cancel token in log: ${line}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(events.some((e) => e.action === 'user.deletion_cancelled'));
      for (const event of events) assert.ok(!Buffer.from(event.canonical).toString('utf8').includes(token), `cancel token in audit event ${event.action}`);
    } finally {
      await t.close();
    }
  });

  it('ENC-1: webhook secrets and tenant data keys are absent from trace logs, errors and the audit log', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    try {
      await t.createUser('keys-canary@example.com', TEST_PASSWORD);
      const cookie = await t.login('keys-canary@example.com', TEST_PASSWORD);
      const orgId = (await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Canary Org' }, headers: { cookie } })).json<{ id: string }>().id;
      const base = `/api/v1/organizations/${orgId}/audit/destinations`;
      const created = await t.inject({ method: 'POST', url: base, payload: { kind: 'webhook', name: 'hook', url: 'https://siem.invalid/parapet', enabled: false }, headers: { cookie } });
      assert.equal(created.statusCode, 201);
      const { id, secret } = created.json<{ id: string; secret: string }>();
      const other = (await t.inject({ method: 'POST', url: base, payload: { kind: 'webhook', name: 'hook 2', url: 'https://siem.invalid/other', enabled: false }, headers: { cookie } })).json<{ id: string }>().id;
      // The tenant's data key in clear, unwrapped the way the app does.
      const row = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('tenant_keys').select(['root_version', 'wrapped']).executeTakeFirstOrThrow());
      const dataKey = await t.app.services.keys.provider.unwrap({ rootVersion: row.root_version, ciphertext: Buffer.from(row.wrapped ?? []) }, { tenantId: orgId, keyVersion: 1 });
      // A send that fails (unresolvable host), and a decryption that fails (a value moved from another row).
      await t.inject({ method: 'POST', url: `${base}/${id}/test`, headers: { cookie } });
      const moved = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_destinations').select('secret_sealed').where('id', '=', other).executeTakeFirstOrThrow());
      await t.transactor.withTenant(orgId, (tx) => tx.updateTable('audit_destinations').set({ secret_sealed: moved.secret_sealed }).where('id', '=', id).execute());
      const failed = await t.inject({ method: 'POST', url: `${base}/${id}/test`, headers: { cookie } });
      assert.ok(failed.statusCode >= 400);
      const bodies = [created.body, failed.body].slice(1);
      const forms = [secret, dataKey.toString('base64'), dataKey.toString('base64url'), dataKey.toString('hex')];
      assert.ok(t.logs.length > 5);
      for (const text of [...t.logs, ...bodies]) for (const form of forms) assert.ok(!text.includes(form), `secret material in: ${text}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(events.some((e) => e.action === 'audit.destination_created'));
      for (const event of events) for (const form of forms) assert.ok(!Buffer.from(event.canonical).toString('utf8').includes(form), `secret material in audit event ${event.action}`);
    } finally {
      await t.close();
    }
  });
  it('ENC-4: secret values are absent from trace logs, responses, errors, audit events and the audit export', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    try {
      await t.createUser('vault-canary@example.com', TEST_PASSWORD);
      const cookie = await t.login('vault-canary@example.com', TEST_PASSWORD);
      const orgId = (await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Vault canary' }, headers: { cookie } })).json<{ id: string }>().id;
      const projectId = (await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects`, payload: { name: 'p' }, headers: { cookie } })).json<{ id: string }>().id;
      const environmentId = (await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/projects/${projectId}/environments`, payload: { name: 'prod' }, headers: { cookie } })).json<{ id: string }>().id;
      const base = `/api/v1/organizations/${orgId}/projects/${projectId}/environments/${environmentId}/secrets`;
      const planted = ['canary-vault-4e0c1a9f27', 'canary-vault-version-two-b81d'];
      const bodies: string[] = [];
      for (const value of planted) {
        const response = await t.inject({ method: 'POST', url: base, payload: { name: 'CANARY_SECRET', value }, headers: { cookie } });
        assert.equal(response.statusCode, 201);
        bodies.push(response.body);
      }
      // Lists, metadata, versions; failures that saw the value (bad name, too large, malformed body).
      for (const url of [base, `${base}/CANARY_SECRET`, `${base}/CANARY_SECRET/versions`]) bodies.push((await t.inject({ method: 'GET', url, headers: { cookie } })).body);
      bodies.push((await t.inject({ method: 'POST', url: base, payload: { name: planted[0], value: planted[0] }, headers: { cookie } })).body);
      bodies.push((await t.inject({ method: 'POST', url: base, payload: { name: 'CANARY_SECRET', value: (planted[0] ?? '').repeat(3000) }, headers: { cookie } })).body);
      bodies.push((await t.inject({ method: 'POST', url: base, payload: `{"name":"CANARY_SECRET","value":"${planted[0] ?? ''}"`, headers: { cookie, 'content-type': 'application/json' } })).body);
      // The audited reads, and one that fails because the stored value was moved.
      assert.equal((await t.inject({ method: 'GET', url: `${base}/CANARY_SECRET/value?version=1`, headers: { cookie } })).json<{ value: string }>().value, planted[0]);
      const rows = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('secret_versions').select(['id', 'value_encrypted']).orderBy('version').execute());
      await t.transactor.withTenant(orgId, (tx) => tx.updateTable('secret_versions').set({ value_encrypted: rows[0]?.value_encrypted ?? '' }).where('id', '=', rows[1]?.id ?? '').execute());
      bodies.push((await t.inject({ method: 'GET', url: `${base}/CANARY_SECRET/value`, headers: { cookie } })).body);
      assert.ok(t.logs.length > 5);
      for (const text of [...t.logs, ...bodies]) for (const value of planted) assert.ok(!text.includes(value), `secret value in: ${text.slice(0, 300)}`);
      await t.app.services.audit.apiCalls.flush();
      await t.app.services.audit.sequencer.drain();
      const events = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      assert.ok(events.some((e) => e.action === 'secret.version_created') && events.some((e) => e.action === 'secret.value_read'));
      for (const event of events) for (const value of planted) assert.ok(!Buffer.from(event.canonical).toString('utf8').includes(value), `secret value in audit event ${event.action}`);
      const exported = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/audit/export?format=jsonl`, headers: { cookie } });
      assert.equal(exported.statusCode, 200);
      assert.ok(exported.body.includes('secret.value_read'));
      for (const value of planted) assert.ok(!exported.body.includes(value), 'secret value in the audit export');
    } finally {
      await t.close();
    }
  });

  it('the SMTP password and mailed link tokens are absent from trace logs, failed deliveries and `config check`', async () => {
    const smtpPassword = 'smtp canary 0b7e44d1a9';
    const certs = createTestCertificates('Canary SMTP');
    const smtp = await startTestSmtp({ tls: certs, auth: { user: 'relay', password: smtpPassword } });
    const t = await createTestApp({ logLevel: 'trace', env: smtp.env });
    // A second app whose password the server refuses: its failed delivery is logged too.
    const wrong = await createTestApp({ logLevel: 'trace', env: { ...smtp.env, PARAPET_SMTP_PASSWORD: `${smtpPassword}!` }, mailRetryDelaysMs: [] });
    try {
      const user = await t.createUser(`mail-canary-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
      assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email: user.email } })).statusCode, 202);
      await t.app.services.mail.idle();
      const token = linkToken(await smtp.waitFor((m) => m.to.includes(user.email)));
      assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, password: `${CANARY_PASSWORD} new` } })).statusCode, 204);
      const other = await wrong.createUser(`mail-canary-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
      await wrong.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email: other.email } });
      await wrong.app.services.mail.idle();
      assert.equal(wrong.app.services.mail.stats().failed, 1);
      const printed: string[] = [];
      await configCheck(cliContext(t.config, t.app.http.log as never, printed));
      assert.ok(printed.some((line) => line.startsWith('PARAPET_SMTP_PASSWORD')));
      const logs = [...t.logs, ...wrong.logs];
      assert.ok(logs.some((line) => line.includes('mail delivery failed')));
      for (const line of [...logs, ...printed]) {
        assert.ok(!line.includes(smtpPassword), `SMTP password in output: ${line}`);
        assert.ok(!line.includes(token), `link token in output: ${line}`);
      }
    } finally {
      await wrong.close();
      await t.close();
      await smtp.close();
    }
  });
});
