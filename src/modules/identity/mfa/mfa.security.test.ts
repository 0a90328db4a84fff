import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../../test/support/databases.ts';
import { createRowIntegrity } from '../row-integrity.ts';
import { assertProblem } from '../../../../test/support/problem.ts';
import { manualClock } from '../../../platform/clock.ts';
import { createTotpFactor } from './totp-factor.ts';
import { createTotpSecretBox, type TotpSecretBox } from './totp-secret-box.ts';
import { base32Decode, hotp, timeStep, totp } from './totp.ts';

const START = new Date('2026-05-04T10:00:00Z');

describe('multi-factor sign-in (AUTH-2)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  let counter = 0;

  before(async () => {
    t = await createTestApp({ clock, env: { PARAPET_LOCKOUT_THRESHOLD: '10', PARAPET_LOCKOUT_MINUTES: '15' } });
  });
  after(async () => {
    await t.close();
  });

  const code = (secret: string, at: Date = clock.now()) => totp(base32Decode(secret), at);
  /** Moves to the next 30 s step, so a new code is due (each code works once). */
  const nextStep = () => {
    clock.advance(30_000);
  };
  const pendingCookie = (response: LightMyRequestResponse) => {
    const cookie = response.cookies.find((c) => c.name === 'parapet_mfa');
    assert.ok(cookie, `no pending sign-in cookie: ${response.statusCode} ${response.body}`);
    return `${cookie.name}=${cookie.value}`;
  };
  const login = (email: string, headers: Record<string, string> = {}) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD }, headers });
  const verify = (cookie: string, body: object) => t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: body, headers: { cookie } });
  const startSignIn = async (email: string) => {
    const response = await login(email);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { mfa_required: true, methods: ['totp', 'recovery_code'] });
    return pendingCookie(response);
  };
  const sessionOf = async (cookie: string) => (await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).json<{ session: { id: string; auth_methods: string[] } }>().session;

  /** A user with a confirmed authenticator app: its secret, recovery codes and user id. */
  async function enrolledUser(): Promise<{ email: string; secret: string; recoveryCodes: string[]; userId: string }> {
    const email = `mfa-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } });
    assert.equal(started.statusCode, 201, started.body);
    const { secret, otpauth_uri } = started.json<{ secret: string; otpauth_uri: string }>();
    assert.match(otpauth_uri, /^otpauth:\/\/totp\/.+\?secret=[A-Z2-7]{32}&/);
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: code(secret) }, headers: { cookie } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    const recoveryCodes = confirmed.json<{ recovery_codes: string[] }>().recovery_codes;
    assert.equal(recoveryCodes.length, 10);
    nextStep();
    return { email, secret, recoveryCodes, userId: user.id };
  }

  it('AUTH-2: enrolment stays pending until a valid first code; a pending factor does not gate sign-in', async () => {
    const email = 'pending-enrol@example.com';
    await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } })).json<{ secret: string }>();
    const wrong = String((Number(code(secret)) + 1) % 1_000_000).padStart(6, '0');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: wrong }, headers: { cookie } }), 401, 'invalid_mfa_code');
    const plain = await login(email);
    assert.deepEqual(Object.keys(plain.json<object>()), ['user']);
  });

  it('AUTH-2: stores the TOTP seed encrypted, never in clear', async () => {
    const { secret, userId } = await enrolledUser();
    const row = await t.transactor.withPlatform((tx) => tx.selectFrom('totp_factors').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow());
    assert.match(row.secret_sealed, /^pk1\./);
    assert.ok(!row.secret_sealed.includes(secret));
  });

  it('AUTH-2: a correct password opens no session for an account with MFA; the pending sign-in works on no other route', async () => {
    const { email } = await enrolledUser();
    const response = await login(email);
    assert.equal(response.statusCode, 200);
    assert.equal(response.cookies.find((c) => c.name === 'parapet_session'), undefined, 'a session cookie was set before the second factor');
    const pending = pendingCookie(response);
    const pendingValue = pending.split('=')[1] ?? '';
    for (const cookie of [pending, `parapet_session=${pendingValue}`]) {
      assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } }), 401, 'unauthenticated');
      assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/mfa', headers: { cookie } }), 401, 'unauthenticated');
      assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } }), 401, 'unauthenticated');
      assertProblem(await t.inject({ method: 'POST', url: '/api/v1/orgs', payload: { name: 'Acme' }, headers: { cookie } }), 401, 'unauthenticated');
    }
  });

  it('AUTH-2: session fixation — MFA completion issues a NEW session id and ends any session the request carried', async () => {
    const { email, secret } = await enrolledUser();
    const planted = await t.login('pending-enrol@example.com', TEST_PASSWORD);
    const plantedSession = await sessionOf(planted);
    const pending = await startSignIn(email);
    const done = await verify(`${pending}; ${planted}`, { method: 'totp', code: code(secret) });
    assert.equal(done.statusCode, 200, done.body);
    const fresh = sessionCookie(done);
    assert.notEqual(fresh, planted);
    assert.notEqual(fresh.split('=')[1], pending.split('=')[1], 'the pending secret became the session secret');
    const session = await sessionOf(fresh);
    assert.notEqual(session.id, plantedSession.id);
    assert.deepEqual(session.auth_methods, ['pwd', 'otp', 'mfa']);
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: planted } }), 401, 'unauthenticated');
    // The pending sign-in is spent.
    nextStep();
    assertProblem(await verify(pending, { method: 'totp', code: code(secret) }), 401, 'mfa_pending_invalid');
  });

  it('AUTH-2: a TOTP code is accepted once, even by a second sign-in', async () => {
    const { email, secret } = await enrolledUser();
    const used = code(secret);
    assert.equal((await verify(await startSignIn(email), { method: 'totp', code: used })).statusCode, 200);
    assertProblem(await verify(await startSignIn(email), { method: 'totp', code: used }), 401, 'invalid_mfa_code');
  });

  it('AUTH-2: of two concurrent sign-ins with the same TOTP code, exactly one succeeds', async () => {
    const { email, secret } = await enrolledUser();
    const [a, b] = [await startSignIn(email), await startSignIn(email)];
    const same = code(secret);
    const results = await Promise.all([verify(a, { method: 'totp', code: same }), verify(b, { method: 'totp', code: same })]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
  });

  it('AUTH-2: concurrent verifications that both read the factor before either records the step: exactly one succeeds', async () => {
    const { secret, userId } = await enrolledUser();
    // Both verifications are held after reading the factor (at decryption) until both have read it.
    const real = createTotpSecretBox(t.app.services.keys.fields);
    let arrived = 0;
    let release: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held: TotpSecretBox = {
      seal: (factorId, secret) => real.seal(factorId, secret),
      open: async (factorId, sealed) => {
        if (++arrived === 2) release();
        await barrier;
        return real.open(factorId, sealed);
      },
    };
    const factor = createTotpFactor({ transactor: t.transactor, clock, box: held, integrity: createRowIntegrity(TEST_KEYRING.derive('row-integrity')) });
    const proof = { code: code(secret) };
    const results = await Promise.all([factor.verify({ userId, attemptId: 'a', proof }), factor.verify({ userId, attemptId: 'b', proof })]);
    assert.equal(results.filter((r) => r !== undefined).length, 1);
  });

  it('AUTH-2: accepts codes one 30 s step either side of now, refuses two steps away', async () => {
    const { email, secret } = await enrolledUser();
    // Two steps past enrolment, so the step before now was never used.
    nextStep();
    const key = base32Decode(secret);
    const step = timeStep(clock.now());
    assertProblem(await verify(await startSignIn(email), { method: 'totp', code: hotp(key, step - 2n) }), 401, 'invalid_mfa_code');
    assertProblem(await verify(await startSignIn(email), { method: 'totp', code: hotp(key, step + 2n) }), 401, 'invalid_mfa_code');
    assert.equal((await verify(await startSignIn(email), { method: 'totp', code: hotp(key, step - 1n) })).statusCode, 200);
    assert.equal((await verify(await startSignIn(email), { method: 'totp', code: hotp(key, step + 1n) })).statusCode, 200);
  });

  it('AUTH-2: a recovery code works once; regenerating the codes invalidates the old ones', async () => {
    const { email, secret, recoveryCodes } = await enrolledUser();
    const [first = '', second = ''] = recoveryCodes;
    const done = await verify(await startSignIn(email), { method: 'recovery_code', code: first.toLowerCase().replaceAll('-', ' ') });
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual((await sessionOf(sessionCookie(done))).auth_methods, ['pwd', 'otp', 'mfa']);
    assertProblem(await verify(await startSignIn(email), { method: 'recovery_code', code: first }), 401, 'invalid_mfa_code');
    // Regenerate (a fresh sign-in is recent enough), then the unused old code is dead too.
    const cookie = sessionCookie(await verify(await startSignIn(email), { method: 'totp', code: code(secret) }));
    const regenerated = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/recovery-codes', headers: { cookie } });
    assert.equal(regenerated.statusCode, 200);
    assertProblem(await verify(await startSignIn(email), { method: 'recovery_code', code: second }), 401, 'invalid_mfa_code');
    const fresh = regenerated.json<{ recovery_codes: string[] }>().recovery_codes[0] ?? '';
    assert.equal((await verify(await startSignIn(email), { method: 'recovery_code', code: fresh })).statusCode, 200);
  });

  it('AUTH-2: stores recovery codes only as digests', async () => {
    const { recoveryCodes, userId } = await enrolledUser();
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('mfa_recovery_codes').selectAll().where('user_id', '=', userId).execute());
    assert.equal(rows.length, 10);
    const stored = rows.map((r) => Buffer.from(r.code_hash).toString('latin1')).join();
    for (const c of recoveryCodes) assert.ok(!stored.includes(c.replaceAll('-', '')));
  });

  it('AUTH-2: a pending sign-in expires after 5 minutes and is spent after 5 wrong codes', async () => {
    const { email, secret } = await enrolledUser();
    const stale = await startSignIn(email);
    clock.advance(5 * 60_000 + 1000);
    assertProblem(await verify(stale, { method: 'totp', code: code(secret) }), 401, 'mfa_pending_invalid');
    const pending = await startSignIn(email);
    for (let i = 0; i < 5; i++) {
      assertProblem(await verify(pending, { method: 'totp', code: '000000' === code(secret) ? '111111' : '000000' }), 401, 'invalid_mfa_code');
      clock.advance(61_000);
    }
    assertProblem(await verify(pending, { method: 'totp', code: code(secret) }), 401, 'mfa_pending_invalid');
    clock.advance(16 * 60_000);
  });

  it('AUTH-6: wrong second factors in parallel are all counted and lock the second-factor step', async () => {
    const { email, secret, userId } = await enrolledUser();
    // Six pending sign-ins (one after another: parallel passwords past the free four are spaced
    // out, right or wrong, since none is known right before it is verified), five wrong codes
    // each, all at once.
    const pendings: string[] = [];
    for (let i = 0; i < 6; i++) pendings.push(await startSignIn(email));
    const wrong = code(secret) === '999999' ? '888888' : '999999';
    const results = await Promise.all(pendings.flatMap((p) => Array.from({ length: 5 }, () => verify(p, { method: 'totp', code: wrong }))));
    const counted = results.filter((r) => r.statusCode === 401 && r.json<{ code: string }>().code === 'invalid_mfa_code').length;
    assert.ok(results.every((r) => r.statusCode === 401 || r.statusCode === 429), 'an unexpected answer');
    assert.ok(counted >= 1);
    // Every counted failure landed: the next one is number counted + 1.
    assert.equal(await t.app.services.mfa.throttle.fail(userId), counted + 1);
    await t.app.services.mfa.throttle.fail(userId);
    for (let i = counted + 2; i < 10; i++) await t.app.services.mfa.throttle.fail(userId);
    // Locked: even the right code on a fresh sign-in is refused until the lock runs out.
    clock.advance(61_000);
    const locked = await verify(await startSignIn(email), { method: 'totp', code: code(secret) });
    assertProblem(locked, 429, 'too_many_attempts');
    clock.advance(15 * 60_000);
    assert.equal((await verify(await startSignIn(email), { method: 'totp', code: code(secret) })).statusCode, 200);
  });

  it('ENC-4: a sealed seed copied to another user does not decrypt there', async () => {
    const a = await enrolledUser();
    const b = await enrolledUser();
    const rowOf = (userId: string) => t.transactor.withPlatform((tx) => tx.selectFrom('totp_factors').selectAll().where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirstOrThrow());
    const [rowA, rowB] = [await rowOf(a.userId), await rowOf(b.userId)];
    await t.transactor.withPlatform((tx) => tx.updateTable('totp_factors').set({ secret_sealed: rowA.secret_sealed }).where('id', '=', rowB.id).execute());
    const box = createTotpSecretBox(t.app.services.keys.fields);
    await assert.rejects(box.open(rowB.id, rowA.secret_sealed));
    assert.equal(await box.open(rowA.id, rowA.secret_sealed), a.secret);
    // Signing in as B with A's code fails.
    assertProblem(await verify(await startSignIn(b.email), { method: 'totp', code: code(a.secret) }), 401, 'invalid_mfa_code');
    clock.advance(2 * 60_000);
  });
});
