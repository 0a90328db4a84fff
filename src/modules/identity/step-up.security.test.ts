import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';
import { base32Decode, totp } from './mfa/totp.ts';

describe('step-up for sensitive actions', () => {
  const clock = manualClock(new Date('2026-05-05T08:00:00Z'));
  let t: TestApp;
  let hashes = 0;
  let verifications = 0;

  before(async () => {
    t = await createTestApp({
      clock,
      wrapHasher: (hasher) => ({
        ...hasher,
        hash: (password) => {
          hashes++;
          return hasher.hash(password);
        },
        verify: (stored, password) => {
          verifications++;
          return hasher.verify(stored, password);
        },
      }),
    });
  });
  after(async () => {
    await t.close();
  });

  const code = (secret: string) => totp(base32Decode(secret), clock.now());
  const reauthenticate = (cookie: string, payload: object) => t.inject({ method: 'POST', url: '/api/v1/auth/reauthenticate', payload, headers: { cookie } });
  const session = async (cookie: string) => (await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).json<{ session: { id: string; auth_methods: string[]; authenticated_at: string } }>().session;

  it('changing second factors needs a sign-in within the last 10 minutes (403 reauthentication_required)', async () => {
    await t.createUser('stale@example.com', TEST_PASSWORD);
    const cookie = await t.login('stale@example.com', TEST_PASSWORD);
    clock.advance(10 * 60_000 + 1000);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } }), 403, 'reauthentication_required');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: '123456' }, headers: { cookie } }), 403, 'reauthentication_required');
    assertProblem(await t.inject({ method: 'DELETE', url: '/api/v1/auth/mfa/totp', headers: { cookie } }), 403, 'reauthentication_required');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/recovery-codes', headers: { cookie } }), 403, 'reauthentication_required');
    // The session itself is still good for everything else.
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/mfa', headers: { cookie } })).statusCode, 200);
  });

  it('re-authentication with the password issues a NEW session id with a fresh authenticated_at and ends the old one', async () => {
    const cookie = await t.login('stale@example.com', TEST_PASSWORD);
    const before = await session(cookie);
    clock.advance(11 * 60_000);
    const response = await reauthenticate(cookie, { password: TEST_PASSWORD });
    assert.equal(response.statusCode, 200, response.body);
    const fresh = sessionCookie(response);
    const after = await session(fresh);
    assert.notEqual(after.id, before.id);
    assert.equal(after.authenticated_at, clock.now().toISOString());
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } }), 401, 'unauthenticated');
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie: fresh } })).statusCode, 201);
  });

  it('re-authentication of an account with MFA needs the second factor too', async () => {
    await t.createUser('stepup-mfa@example.com', TEST_PASSWORD);
    const first = await t.login('stepup-mfa@example.com', TEST_PASSWORD);
    const { secret } = (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie: first } })).json<{ secret: string }>();
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: code(secret) }, headers: { cookie: first } })).statusCode, 200);
    clock.advance(11 * 60_000);
    assertProblem(await t.inject({ method: 'DELETE', url: '/api/v1/auth/mfa/totp', headers: { cookie: first } }), 403, 'reauthentication_required');
    assertProblem(await reauthenticate(first, { password: TEST_PASSWORD }), 401, 'invalid_mfa_code');
    assertProblem(await reauthenticate(first, { password: 'not the right passphrase', method: 'totp', code: code(secret) }), 401, 'invalid_credentials');
    const response = await reauthenticate(first, { password: TEST_PASSWORD, method: 'totp', code: code(secret) });
    assert.equal(response.statusCode, 200, response.body);
    const fresh = sessionCookie(response);
    assert.deepEqual((await session(fresh)).auth_methods, ['pwd', 'otp', 'mfa']);
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/auth/mfa/totp', headers: { cookie: fresh } })).statusCode, 204);
  });

  it('AUTH-1: an over-long password at re-authentication is refused without hashing', async () => {
    const cookie = await t.login('stale@example.com', TEST_PASSWORD);
    const [h, v] = [hashes, verifications];
    assertProblem(await reauthenticate(cookie, { password: 'x'.repeat(129) }), 401, 'invalid_credentials');
    assertProblem(await reauthenticate(cookie, { password: '\u{1F600}'.repeat(129) }), 401, 'invalid_credentials');
    assert.equal(hashes, h);
    assert.equal(verifications, v, 'an over-long password was hashed');
  });
});
