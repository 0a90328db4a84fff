// Issue 13, property 1 (TEN-1, AUTH-2): SQL injected as parapet_app — here run in the attacker's
// own verified sign-in context, the way an injection in one of their requests would run — cannot
// give itself a second factor on someone else's account: TOTP factors and recovery codes carry a
// MAC under a keyring key the database never holds, checked by every read that verifies one. Each
// forged or moved row is then presented through the HTTP sign-in, which must refuse it. Runs on
// both databases: the defence is in the application.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../../test/support/databases.ts';
import { assertProblem } from '../../../../test/support/problem.ts';
import { manualClock } from '../../../platform/clock.ts';
import { systemRandom } from '../../../platform/crypto/random.ts';
import { PLATFORM_TENANT_ID } from '../../audit/index.ts';
import { createRowIntegrity } from '../row-integrity.ts';
import { upgradeFactorMacs } from './mfa-store.ts';
import { hashRecoveryCode, newRecoveryCode } from './recovery-codes.ts';
import { base32Decode, totp } from './totp.ts';

const START = new Date('2026-05-04T10:00:00Z');

/**
 * Recovery-code digests are stored keyed (issue 13, property 2), which an attacker without the
 * keyring cannot compute; these tests grant it, so that what they prove is the row MAC's refusal.
 */
const keyedCode = (code: string) => createRowIntegrity(TEST_KEYRING.derive('row-integrity')).storedDigest('recovery-code', hashRecoveryCode(code));

describe('second factors carry MACs: SQL cannot add or move one (issue 13, TEN-1, AUTH-2)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  let counter = 0;
  before(async () => {
    t = await createTestApp({ clock, env: { PARAPET_LOCKOUT_THRESHOLD: '50' } });
  });
  after(async () => {
    await t.close();
  });

  const code = (secret: string) => totp(base32Decode(secret), clock.now());
  const login = (email: string) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } });
  const pending = (response: LightMyRequestResponse) => {
    const cookie = response.cookies.find((c) => c.name === 'parapet_mfa');
    assert.ok(cookie, `no pending sign-in: ${response.statusCode} ${response.body}`);
    return `${cookie.name}=${cookie.value}`;
  };
  /** Signs in with the password, then presents a second factor; the answer to the second step. */
  const signIn = async (email: string, body: object) => t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: body, headers: { cookie: pending(await login(email)) } });

  /** A user with a confirmed authenticator app. */
  async function enrolled(label: string): Promise<{ email: string; secret: string; recoveryCodes: string[]; userId: string }> {
    const email = `${label}-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: code(secret) }, headers: { cookie } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    clock.advance(30_000);
    return { email, secret, recoveryCodes: confirmed.json<{ recovery_codes: string[] }>().recovery_codes, userId: user.id };
  }

  /** Runs SQL as parapet_app in the attacker's verified sign-in context (platform tenant, attacker as actor). */
  const inject = (attackerId: string, text: string, parameters: readonly unknown[] = []) =>
    t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])), attackerId);

  it("TEN-1: the attacker's own authenticator app moved onto the victim's account (the victim's removed) does not pass the victim's second step", async () => {
    const victim = await enrolled('victim');
    const attacker = await enrolled('attacker');
    assert.equal((await signIn(attacker.email, { method: 'totp', code: code(attacker.secret) })).statusCode, 200, 'the control: the factor works for its owner');
    clock.advance(30_000);
    await inject(attacker.userId, 'delete from totp_factors where user_id = $1', [victim.userId]);
    await inject(attacker.userId, 'update totp_factors set user_id = $1 where user_id = $2', [victim.userId, attacker.userId]);
    // The moved factor does not even count as the victim's (issue 13: the registry counts only MAC'd
    // rows; the deletion, which no MAC can stop, is what removed the victim's own), and the
    // attacker's code does not pass the victim's step-up: no MFA-level session comes of it.
    const answer = await login(victim.email);
    assert.ok(!answer.cookies.some((c) => c.name === 'parapet_mfa'), 'the moved factor is not counted');
    const session = answer.cookies.find((c) => c.name === 'parapet_session');
    assert.ok(session);
    const stepUp = await t.inject({ method: 'POST', url: '/api/v1/auth/reauthenticate', payload: { password: TEST_PASSWORD, method: 'totp', code: code(attacker.secret) }, headers: { cookie: `parapet_session=${session.value}` } });
    // A password step-up is all it can be: the attacker's code adds no second factor to the session.
    const methods = stepUp.statusCode === 200 ? stepUp.json<{ session: { auth_methods: string[] } }>().session.auth_methods : [];
    assert.ok(!methods.includes('otp') && !methods.includes('mfa'), stepUp.body);
  });

  it('TEN-1: a recovery code inserted by hand for the victim, with or without a real MAC copied onto it, is refused', async () => {
    const victim = await enrolled('victim');
    const attacker = await enrolled('attacker');
    for (const copied of [false, true]) {
      const chosen = newRecoveryCode(systemRandom);
      await inject(
        attacker.userId,
        `insert into mfa_recovery_codes (user_id, code_hash, created_at${copied ? ', integrity_mac' : ''}) values ($1, $2, now()${copied ? ', (select integrity_mac from mfa_recovery_codes where user_id = $1 limit 1)' : ''})`,
        [victim.userId, keyedCode(chosen)],
      );
      assertProblem(await signIn(victim.email, { method: 'recovery_code', code: chosen }), 401, 'invalid_mfa_code');
    }
    assert.equal((await signIn(victim.email, { method: 'recovery_code', code: victim.recoveryCodes[0] })).statusCode, 200, 'a real code still works');
  });

  it("TEN-1: the attacker's unused recovery code moved onto the victim's account is refused", async () => {
    const victim = await enrolled('victim');
    const attacker = await enrolled('attacker');
    const [mine = ''] = attacker.recoveryCodes;
    await inject(attacker.userId, 'update mfa_recovery_codes set user_id = $1 where user_id = $2 and code_hash = $3', [victim.userId, attacker.userId, keyedCode(mine)]);
    assertProblem(await signIn(victim.email, { method: 'recovery_code', code: mine }), 401, 'invalid_mfa_code');
  });

  it('TEN-1: the back-fill MACs the copy the migration took, not the live row; parapet_app cannot write a copy', async () => {
    const kept = await enrolled('kept');
    const attacker = await enrolled('attacker');
    await inject(attacker.userId, 'update totp_factors set integrity_mac = null where user_id = $1', [kept.userId]);
    await inject(attacker.userId, 'update mfa_recovery_codes set integrity_mac = null where user_id = $1', [kept.userId]);
    // Without its MAC the factor is not counted (as if deleted): no second step is asked for.
    assert.ok(!(await login(kept.email)).cookies.some((c) => c.name === 'parapet_mfa'), 'a factor without a MAC is not counted');
    // The owner is bound by the copies' forced RLS too: the migration copies before enabling it.
    await t.database.db.withOwner((session) =>
      session.exec(`alter table totp_factors_mac_upgrade no force row level security;
                    alter table mfa_recovery_codes_mac_upgrade no force row level security;
                    create policy probe_0082 on totp_factors for select to parapet_owner using (true);
                    insert into totp_factors_mac_upgrade select id, user_id, created_at from totp_factors where user_id = '${kept.userId}';
                    insert into mfa_recovery_codes_mac_upgrade select user_id, code_hash, created_at from mfa_recovery_codes where user_id = '${kept.userId}' and used_at is null;
                    drop policy probe_0082 on totp_factors;
                    alter table totp_factors_mac_upgrade force row level security;
                    alter table mfa_recovery_codes_mac_upgrade force row level security`),
    );
    // After the copy (as if between the migration and the start), a code is added by hand.
    const chosen = newRecoveryCode(systemRandom);
    await inject(attacker.userId, 'insert into mfa_recovery_codes (user_id, code_hash, created_at) values ($1, $2, now())', [kept.userId, keyedCode(chosen)]);
    assert.deepEqual((await inject(attacker.userId, 'select id from totp_factors_mac_upgrade')).rows, []);
    await assert.rejects(inject(attacker.userId, 'insert into totp_factors_mac_upgrade (id, user_id, created_at) values ($1, $2, now())', [crypto.randomUUID(), attacker.userId]), /permission denied|violates/);
    await assert.rejects(inject(attacker.userId, 'insert into mfa_recovery_codes_mac_upgrade (user_id, code_hash, created_at) values ($1, $2, now())', [kept.userId, hashRecoveryCode(chosen)]), /permission denied|violates/);
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    assert.equal(await upgradeFactorMacs(t.transactor, integrity), 11);
    clock.advance(30_000);
    assert.equal((await signIn(kept.email, { method: 'totp', code: code(kept.secret) })).statusCode, 200, 'a factor copied by the migration works again');
    assert.equal((await signIn(kept.email, { method: 'recovery_code', code: kept.recoveryCodes[1] })).statusCode, 200, 'so does a copied code');
    assertProblem(await signIn(kept.email, { method: 'recovery_code', code: chosen }), 401, 'invalid_mfa_code');
    assert.equal(await upgradeFactorMacs(t.transactor, integrity), 0, 'each copy is used once');
  });
});
