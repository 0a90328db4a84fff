import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { startTestSmtp, type TestSmtp, mailTo as waitForMail } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { base32Decode, totp } from '../identity/mfa/totp.ts';

const NEW_PASSWORD = 'a brand new passphrase for this';

/** Issue 14 part 6: a signed-in user changes their password (ASVS 5.0 6.2.2 / 6.2.3). */
describe('password change for a signed-in user (AUTH-1, AUTH-5, AUTH-6)', () => {
  const clock = manualClock(new Date('2026-06-01T08:00:00Z'));
  let t: TestApp;
  let smtp: TestSmtp;
  let verifications = 0;
  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({
      clock,
      env: { ...smtp.env, PARAPET_LOCKOUT_THRESHOLD: '3' },
      wrapHasher: (hasher) => ({
        ...hasher,
        verify: (stored, password) => {
          verifications++;
          return hasher.verify(stored, password);
        },
      }),
    });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const change = (cookie: string, payload: object) => t.inject({ method: 'POST', url: '/api/v1/auth/password/change', payload, headers: { cookie } });
  const signIn = (email: string, password: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const alive = async (cookie: string) => (await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode === 200;
  const newUser = async (label: string) => {
    const email = `${label}-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    return { email, id: user.id };
  };

  it('AUTH-5: the change ends every other session and refresh-token family, keeps the one that asked, and is audited and mailed', async () => {
    const org = await createOrg(t, 'pw-change');
    const user = await newUser('changer');
    await addMember(t, org.orgId, user.id);
    const here = await t.login(user.email, TEST_PASSWORD);
    const laptop = await t.login(user.email, TEST_PASSWORD);
    const tokens = (await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: TEST_PASSWORD, response_type: 'token' } })).json<{ access_token: string; refresh_token: string }>();

    const response = await change(here, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD });
    assert.equal(response.statusCode, 204, response.body);

    assert.ok(await alive(here), 'the session that changed it stays');
    assert.ok(!(await alive(laptop)), 'another session ended');
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${tokens.access_token}` } })).statusCode, 401);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } }), 400, 'invalid_grant');
    assertProblem(await signIn(user.email, TEST_PASSWORD), 401, 'invalid_credentials');
    assert.equal((await signIn(user.email, NEW_PASSWORD)).statusCode, 200);

    const mail = await waitForMail(t, smtp, user.email, /password was changed/);
    assert.match(mail.text, /Every other session of the account was signed out \(2\)/);
    assert.ok(!mail.text.includes(NEW_PASSWORD) && !mail.text.includes(TEST_PASSWORD));

    await t.app.services.audit.sequencer.drain();
    for (const tenantId of [PLATFORM_TENANT_ID, org.orgId]) {
      const rows = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select(['action', 'outcome', 'canonical']).where('tenant_id', '=', tenantId).where('action', '=', 'password.changed').where('actor_id', '=', user.id).execute());
      assert.equal(rows.length, 1, tenantId);
      assert.equal(rows[0]?.outcome, 'success');
      assert.match(Buffer.from(rows[0]?.canonical ?? []).toString('utf8'), /"sessions_ended":2/);
    }
  });

  it('AUTH-6: a wrong current password is refused, counted with sign-in failures, and locks both', async () => {
    const user = await newUser('guessed');
    const cookie = await t.login(user.email, TEST_PASSWORD);
    for (let i = 0; i < 3; i++) {
      assertProblem(await change(cookie, { current_password: `wrong guess number ${i}`, new_password: NEW_PASSWORD }), 401, 'invalid_credentials');
      clock.advance(1000);
    }
    // Locked (threshold 3): even the right current password answers 429 without being verified.
    const before = verifications;
    assertProblem(await change(cookie, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD }), 429, 'too_many_attempts');
    assertProblem(await signIn(user.email, TEST_PASSWORD), 429, 'too_many_attempts');
    assert.equal(verifications, before, 'a locked account verified a password');
    assert.ok(await alive(cookie), 'refusals end no session');
    clock.advance(16 * 60_000);
    const old = await signIn(user.email, TEST_PASSWORD);
    assert.equal(old.statusCode, 200, 'the password did not change');
  });

  it('AUTH-1: an over-long current password is refused unverified; the new one must pass the password rules and differ', async () => {
    const user = await newUser('rules');
    const cookie = await t.login(user.email, TEST_PASSWORD);
    const before = verifications;
    assertProblem(await change(cookie, { current_password: 'x'.repeat(129), new_password: NEW_PASSWORD }), 401, 'invalid_credentials');
    assert.equal(verifications, before);
    assertProblem(await change(cookie, { current_password: TEST_PASSWORD, new_password: 'password1234' }), 400, 'password_too_common');
    assertProblem(await change(cookie, { current_password: TEST_PASSWORD, new_password: 'short' }), 400, 'password_too_short');
    assertProblem(await change(cookie, { current_password: TEST_PASSWORD, new_password: TEST_PASSWORD }), 400, 'invalid_request');
  });

  it('ASVS 6.2.3: with a second factor, a session older than the step-up window is refused before the password is tried; re-authenticated, it succeeds', async () => {
    const user = await newUser('mfa-change');
    const cookie = await t.login(user.email, TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totp(base32Decode(secret), clock.now()) }, headers: { cookie } })).statusCode, 200);
    clock.advance(11 * 60_000);
    const before = verifications;
    assertProblem(await change(cookie, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD }), 403, 'reauthentication_required');
    assert.equal(verifications, before, 'the stale session could try the password');
    const reauth = await t.inject({ method: 'POST', url: '/api/v1/auth/reauthenticate', payload: { password: TEST_PASSWORD, method: 'totp', code: totp(base32Decode(secret), clock.now()) }, headers: { cookie } });
    assert.equal(reauth.statusCode, 200, reauth.body);
    const fresh = reauth.cookies.find((c) => c.name === 'parapet_session');
    assert.ok(fresh);
    assert.equal((await change(`parapet_session=${fresh.value}`, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD })).statusCode, 204);
  });
});
