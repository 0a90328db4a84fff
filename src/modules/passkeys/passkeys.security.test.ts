import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { authenticatorFor, passwordlessOptions, platformEvents, registerPasskey, registrationOptions, signInWithPasskey, verifyPasswordless, verifyRegistration } from '../../../test/support/passkeys.ts';
import { manualClock } from '../../platform/clock.ts';

describe('passkey attacks (AUTH-3)', () => {
  const clock = manualClock(new Date('2026-05-02T09:00:00Z'));
  const source = { ip: '192.0.2.7', user_agent: null, request_id: 'sec' };
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

  it('AUTH-3: an assertion cannot be replayed: each challenge answers once (even when the counter stays 0)', async () => {
    const user = await newUser('replay');
    const key = authenticatorFor(t, { counting: false });
    await registerPasskey(t, user.cookie, key);
    const { options, ceremony } = await passwordlessOptions(t);
    const assertion = key.get(options);
    assert.equal((await verifyPasswordless(t, ceremony, assertion)).statusCode, 200);
    assertProblem(await verifyPasswordless(t, ceremony, assertion), 401, 'passkey_refused');

    const passkeys = t.app.services.passkeys;
    const binding = crypto.randomUUID();
    const second = key.get(await passkeys.secondFactorOptions({ userId: user.id, binding }));
    await passkeys.verifySecondFactor({ userId: user.id, binding, response: second, source });
    await assert.rejects(passkeys.verifySecondFactor({ userId: user.id, binding, response: second, source }), { code: 'passkey_refused' });
  });

  it('AUTH-3: a challenge expires after five minutes', async () => {
    const user = await newUser('expiry');
    const key = authenticatorFor(t);
    await registerPasskey(t, user.cookie, key);
    const { options, ceremony } = await passwordlessOptions(t);
    clock.advance(5 * 60_000 + 1000);
    assertProblem(await verifyPasswordless(t, ceremony, key.get(options)), 401, 'passkey_refused');
    // A fresh sign-in (with the passkey: the account now has a second factor).
    const again = await passwordlessOptions(t);
    const fresh = sessionCookie(await verifyPasswordless(t, again.ceremony, key.get(again.options)));
    const registration = await registrationOptions(t, fresh);
    clock.advance(5 * 60_000 + 1000);
    // The first session signed in over 10 minutes ago: adding a factor needs a fresh sign-in (step-up).
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/passkeys/registration/options', headers: { cookie: user.cookie } }), 403, 'reauthentication_required');
    assertProblem(await verifyRegistration(t, fresh, 'Late', authenticatorFor(t).create(registration)), 400, 'passkey_registration_failed');
  });

  it("AUTH-3: a registration challenge answers only in the session it was issued to, not in the same user's other session", async () => {
    const user = await newUser('bound');
    const otherSession = await t.login(user.email, TEST_PASSWORD);
    const options = await registrationOptions(t, user.cookie);
    const stolen = authenticatorFor(t).create(options);
    assertProblem(await verifyRegistration(t, otherSession, 'Elsewhere', stolen), 400, 'passkey_registration_failed');
    assert.equal(await t.app.services.passkeys.count(user.id), 0);
  });

  it('AUTH-3: a passwordless challenge answers only with the ceremony cookie it was issued with', async () => {
    const user = await newUser('ceremony');
    const key = authenticatorFor(t);
    await registerPasskey(t, user.cookie, key);
    const victim = await passwordlessOptions(t);
    const attacker = await passwordlessOptions(t);
    const assertion = key.get(victim.options);
    assertProblem(await verifyPasswordless(t, attacker.ceremony, assertion), 401, 'passkey_refused');
    assertProblem(await verifyPasswordless(t, undefined, key.get(victim.options)), 401, 'passkey_refused');
  });

  it("AUTH-3: a second-factor challenge issued for one user's pending sign-in does not verify another user's passkey", async () => {
    const alice = await newUser('mfa-alice');
    const bob = await newUser('mfa-bob');
    const bobKey = authenticatorFor(t);
    await registerPasskey(t, bob.cookie, bobKey);
    await registerPasskey(t, alice.cookie, authenticatorFor(t));
    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId: alice.id, binding });
    await assert.rejects(t.app.services.passkeys.verifySecondFactor({ userId: bob.id, binding, response: bobKey.get(options), source }), { code: 'passkey_refused' });
  });

  it('AUTH-3: a response made for another origin or another RP ID is refused, at registration and at sign-in', async () => {
    const user = await newUser('phish');
    for (const overrides of [{ origin: 'https://id.example.com.evil.example' }, { rpId: 'evil.example' }]) {
      const options = await registrationOptions(t, user.cookie);
      assertProblem(await verifyRegistration(t, user.cookie, 'Phished', authenticatorFor(t).create(options, overrides)), 400, 'passkey_registration_failed');
    }
    assert.equal(await t.app.services.passkeys.count(user.id), 0);
    const key = authenticatorFor(t);
    await registerPasskey(t, user.cookie, key);
    assertProblem(await signInWithPasskey(t, key, { origin: 'https://evil.example' }), 401, 'passkey_refused');
    assertProblem(await signInWithPasskey(t, key, { rpId: 'evil.example' }), 401, 'passkey_refused');
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
  });

  it('AUTH-3: a correctly signed assertion whose counter did not increase (a cloned authenticator) is refused and recorded', async () => {
    const user = await newUser('clone');
    const key = authenticatorFor(t);
    const passkeyId = await registerPasskey(t, user.cookie, key);
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
    const clone = key.clone();
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
    assertProblem(await signInWithPasskey(t, clone), 401, 'passkey_refused');
    assertProblem(await signInWithPasskey(t, key, { counter: 3 }), 401, 'passkey_refused');
    assertProblem(await signInWithPasskey(t, key, { counter: 0 }), 401, 'passkey_refused');
    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId: user.id, binding });
    await assert.rejects(t.app.services.passkeys.verifySecondFactor({ userId: user.id, binding, response: clone.get(options), source }), { code: 'passkey_refused' });
    const events = (await platformEvents(t, 'passkey.counter_regressed')).filter((e) => e.targets.some((target) => target.id === passkeyId));
    // The clone (2), a repeated counter (3), a counter back at 0, the clone as second factor (3).
    assert.deepEqual(events.map((e) => `${String(e.metadata['stored_counter'])}>${String(e.metadata['presented_counter'])}`).sort(), ['3>0', '3>2', '3>3', '3>3']);
  });

  it("AUTH-3: user A's passkey neither signs in as user B (B's user handle) nor serves as B's second factor", async () => {
    const alice = await newUser('owner-alice');
    const bob = await newUser('owner-bob');
    const aliceKey = authenticatorFor(t);
    await registerPasskey(t, alice.cookie, aliceKey);
    const bobOptions = await registrationOptions(t, bob.cookie);
    const bobKey = authenticatorFor(t);
    assert.equal((await verifyRegistration(t, bob.cookie, 'Bob', bobKey.create(bobOptions))).statusCode, 201);
    assertProblem(await signInWithPasskey(t, aliceKey, { userHandle: bobOptions.user.id }), 401, 'passkey_refused');
    assertProblem(await signInWithPasskey(t, aliceKey, { userHandle: null }), 401, 'passkey_refused');

    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId: bob.id, binding });
    await assert.rejects(t.app.services.passkeys.verifySecondFactor({ userId: bob.id, binding, response: aliceKey.get(options), source }), { code: 'passkey_refused' });
  });

  it('AUTH-3: passwordless sign-in without user verification is refused (a second factor alone is not a sign-in)', async () => {
    const user = await newUser('no-uv');
    const key = authenticatorFor(t, { verifiesUser: false });
    await registerPasskey(t, user.cookie, key);
    const { options } = await passwordlessOptions(t);
    assert.equal(options.userVerification, 'required');
    assertProblem(await signInWithPasskey(t, key), 401, 'passkey_refused');
  });

  it('AUTH-3: a removed passkey no longer signs in nor verifies as a second factor', async () => {
    const user = await newUser('removed');
    const key = authenticatorFor(t);
    const passkeyId = await registerPasskey(t, user.cookie, key);
    assert.equal((await signInWithPasskey(t, key)).statusCode, 200);
    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId: user.id, binding });
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/auth/passkeys/${passkeyId}`, headers: { cookie: user.cookie } })).statusCode, 204);
    assertProblem(await signInWithPasskey(t, key), 401, 'passkey_refused');
    await assert.rejects(t.app.services.passkeys.verifySecondFactor({ userId: user.id, binding, response: key.get(options), source }), { code: 'passkey_refused' });
  });

  it("AUTH-3: a disabled user's passkey neither signs in nor verifies as a second factor", async () => {
    const user = await newUser('disabled');
    const key = authenticatorFor(t);
    await registerPasskey(t, user.cookie, key);
    const binding = crypto.randomUUID();
    const options = await t.app.services.passkeys.secondFactorOptions({ userId: user.id, binding });
    await t.transactor.withPlatform((tx) => tx.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', user.id).execute());
    assertProblem(await signInWithPasskey(t, key), 401, 'passkey_refused');
    await assert.rejects(t.app.services.passkeys.verifySecondFactor({ userId: user.id, binding, response: key.get(options), source }), { code: 'passkey_refused' });
  });

  it("AUTH-3: no user can list, rename or remove another user's passkeys through the API", async () => {
    const alice = await newUser('api-alice');
    const bob = await newUser('api-bob');
    const aliceKey = authenticatorFor(t);
    const passkeyId = await registerPasskey(t, alice.cookie, aliceKey, 'Alice key');
    const listed = await t.inject({ method: 'GET', url: '/api/v1/auth/passkeys', headers: { cookie: bob.cookie } });
    assert.deepEqual(listed.json(), { items: [] });
    assertProblem(await t.inject({ method: 'PATCH', url: `/api/v1/auth/passkeys/${passkeyId}`, headers: { cookie: bob.cookie }, payload: { name: 'Mine now' } }), 404, 'not_found');
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/auth/passkeys/${passkeyId}`, headers: { cookie: bob.cookie } }), 404, 'not_found');
    const mine = await t.inject({ method: 'GET', url: '/api/v1/auth/passkeys', headers: { cookie: alice.cookie } });
    assert.deepEqual(mine.json<{ items: { id: string; name: string }[] }>().items.map((p) => [p.id, p.name]), [[passkeyId, 'Alice key']]);
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/passkeys' }), 401, 'unauthenticated');
  });
});
