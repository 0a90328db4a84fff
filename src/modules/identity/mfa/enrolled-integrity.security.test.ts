// Issue 13, property 1 (TEN-1, AUTH-2): the factor registry's "which second factors does this user
// have" question (`enrolledQuery`: whether to ask for a second step, the `methods` a user and the
// members listing see) counts only rows whose MAC verifies. SQL injected as parapet_app — run in
// the attacker's own verified sign-in context — that inserts a TOTP factor, recovery codes or a
// passkey for another user (with a real MAC copied onto it) no longer makes that user look
// enrolled: their sign-in is not turned into a second step that cannot succeed. Runs on both
// databases: the defence is in the application.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../../test/support/app.ts';
import { manualClock } from '../../../platform/clock.ts';
import { PLATFORM_TENANT_ID } from '../../audit/index.ts';
import { base32Decode, totp } from './totp.ts';

describe('the factor registry counts only second factors with a valid MAC (issue 13, TEN-1, AUTH-2)', () => {
  const clock = manualClock(new Date('2026-05-04T10:00:00Z'));
  let t: TestApp;
  let counter = 0;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  const login = (email: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } });
  /** Runs SQL as parapet_app in the attacker's verified sign-in context (platform tenant, attacker as actor). */
  const inject = (attackerId: string, text: string, parameters: readonly unknown[] = []) =>
    t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])), attackerId);
  const user = async (label: string) => {
    const email = `${label}-${++counter}@example.com`;
    return { email, id: (await t.createUser(email, TEST_PASSWORD)).id };
  };
  const methods = async (email: string) => {
    const cookie = await t.login(email, TEST_PASSWORD);
    return (await t.inject({ method: 'GET', url: '/api/v1/auth/mfa', headers: { cookie } })).json<{ methods: string[] }>().methods;
  };

  it('a user with a confirmed authenticator app is asked for a second step (the control)', async () => {
    const owner = await user('owner');
    const cookie = await t.login(owner.email, TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totp(base32Decode(secret), clock.now()) }, headers: { cookie } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.ok((await login(owner.email)).cookies.some((c) => c.name === 'parapet_mfa'));
  });

  it("TEN-1: a TOTP factor, recovery codes and a passkey inserted by hand for the victim (real MACs copied) do not make the victim look enrolled", async () => {
    const attacker = await user('attacker');
    const cookie = await t.login(attacker.email, TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totp(base32Decode(secret), clock.now()) }, headers: { cookie } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const victim = await user('victim');
    assert.deepEqual(await methods(victim.email), [], 'the victim has no second factor');
    await inject(attacker.id, `insert into totp_factors (id, user_id, secret_sealed, confirmed_at, created_at, integrity_mac)
                               select gen_random_uuid(), $1, secret_sealed, now(), created_at, integrity_mac from totp_factors where user_id = $2`, [victim.id, attacker.id]);
    await inject(attacker.id, `insert into mfa_recovery_codes (user_id, code_hash, created_at, integrity_mac)
                               select $1, code_hash, created_at, integrity_mac from mfa_recovery_codes where user_id = $2`, [victim.id, attacker.id]);
    await inject(attacker.id, `insert into passkeys (id, user_id, credential_id, public_key, counter, transports, aaguid, user_handle, backup_eligible, backed_up, name, created_at)
                               values (gen_random_uuid(), $1, 'forged-credential', '\\x01'::bytea, 0, '{}', gen_random_uuid(), '\\x02'::bytea, false, false, 'forged', now())`, [victim.id]);
    const signedIn = await login(victim.email);
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    assert.ok(!signedIn.cookies.some((c) => c.name === 'parapet_mfa'), 'no second step is asked for');
    assert.ok(signedIn.cookies.some((c) => c.name === 'parapet_session'), 'the password alone signs the victim in, as before the forgery');
    assert.deepEqual(await methods(victim.email), [], 'the forged rows are not listed as methods');
  });
});
