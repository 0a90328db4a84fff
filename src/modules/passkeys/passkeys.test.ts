import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { authenticatorFor, platformEvents, registerPasskey, registrationOptions, signInWithPasskey, verifyRegistration } from '../../../test/support/passkeys.ts';
import { manualClock } from '../../platform/clock.ts';

describe('passkeys and security keys (AUTH-3)', () => {
  const clock = manualClock(new Date('2026-05-01T09:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { PARAPET_PUBLIC_URL: 'https://id.example.com' } });
  });
  after(async () => {
    await t.close();
  });

  async function newUser(prefix: string): Promise<{ id: string; email: string; cookie: string }> {
    const email = `${prefix}-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    return { id: user.id, email, cookie: await t.login(email, TEST_PASSWORD) };
  }

  it('AUTH-3: offers creation options for the configured relying party, excluding the credentials already registered', async () => {
    const user = await newUser('options');
    const first = await registrationOptions(t, user.cookie);
    assert.deepEqual(first.rp, { id: 'id.example.com', name: 'id.example.com' });
    assert.equal(first.user.name, user.email);
    assert.deepEqual(first.authenticatorSelection, { residentKey: 'preferred', userVerification: 'preferred', requireResidentKey: false });
    assert.equal(first.attestation, 'none');
    assert.equal(first.timeout, 300_000);
    assert.deepEqual(first.excludeCredentials, []);
    assert.ok(first.pubKeyCredParams.some((p) => p.alg === -7));
    const key = authenticatorFor(t);
    const verified = await verifyRegistration(t, user.cookie, 'YubiKey', key.create(first));
    assert.equal(verified.statusCode, 201, verified.body);
    const second = await registrationOptions(t, user.cookie);
    assert.deepEqual(second.excludeCredentials.map((c) => c.id), [key.credentialId]);
    assert.equal(second.user.id, first.user.id, 'one user handle per user');
    assert.notEqual(second.challenge, first.challenge);
  });

  it('AUTH-3: registers several named passkeys, lists, renames and removes them', async () => {
    const user = await newUser('several');
    const key = authenticatorFor(t);
    const phone = authenticatorFor(t, { backupEligible: true });
    const keyId = await registerPasskey(t, user.cookie, key, 'Desk key');
    clock.advance(1000);
    const phoneId = await registerPasskey(t, user.cookie, phone, 'Phone');
    const listed = await t.inject({ method: 'GET', url: '/api/v1/auth/passkeys', headers: { cookie: user.cookie } });
    assert.equal(listed.statusCode, 200);
    const items = listed.json<{ items: { id: string; name: string; transports: string[]; aaguid: string; backup_eligible: boolean; backed_up: boolean; last_used_at: string | null }[] }>().items;
    assert.deepEqual(items.map((p) => [p.id, p.name, p.backup_eligible, p.backed_up]), [
      [keyId, 'Desk key', false, false],
      [phoneId, 'Phone', true, true],
    ]);
    assert.deepEqual(items[0]?.transports, ['usb', 'nfc']);
    assert.equal(items[0]?.aaguid, '00000000-0000-0000-0000-000000000000');
    assert.equal(items[0]?.last_used_at, null);
    assert.ok(!listed.body.includes(key.credentialId), 'the list shows no credential ids');
    assert.equal(await t.app.services.passkeys.count(user.id), 2);

    const renamed = await t.inject({ method: 'PATCH', url: `/api/v1/auth/passkeys/${keyId}`, headers: { cookie: user.cookie }, payload: { name: 'Backup key' } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal(renamed.json<{ name: string }>().name, 'Backup key');
    const removed = await t.inject({ method: 'DELETE', url: `/api/v1/auth/passkeys/${phoneId}`, headers: { cookie: user.cookie } });
    assert.equal(removed.statusCode, 204);
    assert.equal(await t.app.services.passkeys.count(user.id), 1);
    const events = await platformEvents(t, 'passkey.registered');
    assert.ok(events.some((e) => e.targets.some((target) => target.id === keyId)));
    assert.ok((await platformEvents(t, 'passkey.removed')).some((e) => e.targets.some((target) => target.id === phoneId)));
  });

  it('AUTH-3: signs in without a password; the session carries amr hwk/user/mfa for a security key and swk for a synced passkey', async () => {
    const user = await newUser('passwordless');
    const key = authenticatorFor(t);
    const phone = authenticatorFor(t, { backupEligible: true });
    await registerPasskey(t, user.cookie, key, 'Key');
    await registerPasskey(t, user.cookie, phone, 'Phone');
    for (const [authenticator, amr] of [
      [key, ['hwk', 'user', 'mfa']],
      [phone, ['swk', 'user', 'mfa']],
    ] as const) {
      const response = await signInWithPasskey(t, authenticator);
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<{ user: { id: string } }>().user.id, user.id);
      const session = await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: sessionCookie(response) } });
      assert.equal(session.statusCode, 200);
      assert.deepEqual(session.json<{ session: { auth_methods: string[] } }>().session.auth_methods, amr);
    }
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('passkeys').select(['counter', 'last_used_at']).where('user_id', '=', user.id).orderBy('created_at').execute());
    assert.deepEqual(rows.map((r) => Number(r.counter)), [1, 1]);
    assert.ok(rows.every((r) => r.last_used_at !== null));
    const created = await platformEvents(t, 'session.created');
    assert.ok(created.some((e) => e.metadata['method'] === 'passkey' && e.metadata['amr'] === 'hwk user mfa'));
  });

  it('AUTH-3: a counter that stays 0 (authenticators that do not count) keeps working', async () => {
    const user = await newUser('nocount');
    const key = authenticatorFor(t, { counting: false });
    await registerPasskey(t, user.cookie, key);
    for (let i = 0; i < 3; i++) assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
  });

  it('AUTH-3: verifies a passkey as second factor with the user\'s own credentials offered, user verification only preferred', async () => {
    const user = await newUser('second');
    const key = authenticatorFor(t, { verifiesUser: false });
    const passkeyId = await registerPasskey(t, user.cookie, key);
    const other = authenticatorFor(t);
    await registerPasskey(t, (await newUser('bystander')).cookie, other);
    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId: user.id, binding });
    assert.deepEqual(options.allowCredentials?.map((c) => c.id), [key.credentialId]);
    assert.equal(options.userVerification, 'preferred');
    const source = { ip: '192.0.2.1', user_agent: null, request_id: 'r' };
    const used = await t.app.services.passkeys.verifySecondFactor({ userId: user.id, binding, response: key.get(options, { userVerified: false }), source });
    assert.deepEqual(used, { passkeyId, credentialId: key.credentialId, userVerified: false, amr: ['hwk', 'user'] });
  });

  it('AUTH-3 AUTH-6: repeated failures lock a credential, even for a valid assertion, and unknown credentials lock alike', async () => {
    const user = await newUser('throttle');
    const key = authenticatorFor(t);
    await registerPasskey(t, user.cookie, key);
    const stranger = authenticatorFor(t);
    stranger.create(await registrationOptions(t, (await newUser('never-registered')).cookie));
    for (let i = 0; i < 10; i++) {
      assertProblem(await signInWithPasskey(t, key, { origin: 'https://evil.example' }), 401, 'passkey_refused');
      assertProblem(await signInWithPasskey(t, stranger), 401, 'passkey_refused');
      clock.advance(61_000);
    }
    const locked = await signInWithPasskey(t, key);
    assertProblem(locked, 429, 'too_many_attempts');
    assertProblem(await signInWithPasskey(t, stranger), 429, 'too_many_attempts');
    clock.advance(16 * 60_000);
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
  });
});
