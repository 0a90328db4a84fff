import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, sessionCookie, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { SESSION_CACHE_TTL_MS } from './session-service.ts';

describe('login and sessions', () => {
  let t: TestApp;
  const email = 'member@example.com';
  let verifications = 0;
  before(async () => {
    t = await createTestApp({
      wrapHasher: (hasher) => ({
        ...hasher,
        verify: (stored, password) => {
          verifications++;
          return hasher.verify(stored, password);
        },
      }),
    });
    await t.createUser(email, TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
  });

  const login = (payload: object, headers: Record<string, string> = {}) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload, headers });
  const strip = (body: string) => body.replace(/"request_id":"[^"]+"/, '');

  it('a wrong password and an unknown email give the same status, code and body', async () => {
    const wrong = await login({ email, password: 'not the right passphrase' });
    const unknown = await login({ email: 'nobody@example.com', password: 'not the right passphrase' });
    assertProblem(wrong, 401, 'invalid_credentials');
    assertProblem(unknown, 401, 'invalid_credentials');
    assert.equal(strip(wrong.body), strip(unknown.body));
    assert.deepEqual(Object.keys(wrong.headers).sort(), Object.keys(unknown.headers).sort());
  });

  it('an unknown email and a wrong password each cost exactly one argon2id verification (same timing class)', async () => {
    const before = verifications;
    await login({ email: 'nobody@example.com', password: 'not the right passphrase' });
    assert.equal(verifications - before, 1, 'unknown email skipped the password hash');
    await login({ email, password: 'not the right passphrase' });
    assert.equal(verifications - before, 2);
  });

  it('an over-long password is refused without hashing it', async () => {
    const before = verifications;
    const response = await login({ email, password: 'x'.repeat(129) });
    assertProblem(response, 401, 'invalid_credentials');
    const multibyte = await login({ email, password: '\u{1F600}'.repeat(129) });
    assertProblem(multibyte, 401, 'invalid_credentials');
    assert.equal(verifications, before, 'an over-long password was hashed');
  });

  it('sets an HttpOnly, SameSite=Lax session cookie holding 256 random bits', async () => {
    const response = await login({ email, password: TEST_PASSWORD });
    assert.equal(response.statusCode, 200);
    const cookie = response.cookies.find((c) => c.name === 'parapet_session');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
  });

  it('stores sessions by digest only', async () => {
    const cookie = sessionCookie(await login({ email, password: TEST_PASSWORD }));
    const token = cookie.split('=')[1] ?? '';
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select('token_hash').execute());
    assert.ok(rows.every((row) => Buffer.from(row.token_hash).length === 32 && !Buffer.from(row.token_hash).toString('latin1').includes(token)));
  });

  it('session fixation: login issues a new session id and ends the one the request came with', async () => {
    const first = sessionCookie(await login({ email, password: TEST_PASSWORD }));
    const second = await login({ email, password: TEST_PASSWORD }, { cookie: first });
    assert.notEqual(sessionCookie(second), first);
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: first } }), 401, 'unauthenticated');
  });

  it('logout destroys the session server-side', async () => {
    const cookie = sessionCookie(await login({ email, password: TEST_PASSWORD }));
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode, 200);
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } })).statusCode, 204);
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } }), 401, 'unauthenticated');
  });

  it('a forged or malformed session cookie is unauthenticated', async () => {
    for (const value of ['x', 'A'.repeat(43), "' or 1=1 --"]) {
      assertProblem(await t.inject({ method: 'GET', url: '/api/v1/organizations', headers: { cookie: `parapet_session=${encodeURIComponent(value)}` } }), 401, 'unauthenticated');
    }
  });

  it('CSRF: unsafe requests from another origin are refused, same-origin and non-browser ones pass', async () => {
    const cookie = sessionCookie(await login({ email, password: TEST_PASSWORD }));
    const create = (headers: Record<string, string>) => t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'csrf' }, headers: { cookie, ...headers } });
    assertProblem(await create({ origin: 'https://evil.example' }), 403, 'origin_mismatch');
    assertProblem(await create({ 'sec-fetch-site': 'cross-site' }), 403, 'origin_mismatch');
    assert.equal((await create({ origin: t.config.publicUrl })).statusCode, 201);
    assert.equal((await create({})).statusCode, 201);
    // Login CSRF too.
    assertProblem(await login({ email, password: TEST_PASSWORD }, { origin: 'https://evil.example' }), 403, 'origin_mismatch');
  });

  it('CSRF: Origin null passes only as a same-origin form post under no-referrer (Fetch Metadata same-origin); any other null is refused', async () => {
    const cookie = sessionCookie(await login({ email, password: TEST_PASSWORD }));
    const create = (headers: Record<string, string>) => t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'csrf-null' }, headers: { cookie, ...headers } });
    // What Chromium sends for a form post from one of our own pages (Referrer-Policy: no-referrer).
    assert.equal((await create({ origin: 'null', 'sec-fetch-site': 'same-origin' })).statusCode, 201);
    // A sandboxed frame or data: URL on another site: opaque origin, cross-site.
    assertProblem(await create({ origin: 'null', 'sec-fetch-site': 'cross-site' }), 403, 'origin_mismatch');
    assertProblem(await create({ origin: 'null', 'sec-fetch-site': 'same-site' }), 403, 'origin_mismatch');
    assertProblem(await create({ origin: 'null', 'sec-fetch-site': 'none' }), 403, 'origin_mismatch');
    // A browser without Fetch Metadata: null cannot be told apart from a cross-site opaque origin.
    assertProblem(await create({ origin: 'null' }), 403, 'origin_mismatch');
    assertProblem(await login({ email, password: TEST_PASSWORD }, { origin: 'null', 'sec-fetch-site': 'cross-site' }), 403, 'origin_mismatch');
  });

  it('a disabled user cannot sign in and their sessions stop working', async () => {
    const user = await t.createUser('leaver@example.com', TEST_PASSWORD);
    const cookie = await t.login('leaver@example.com', TEST_PASSWORD);
    await t.transactor.withPlatform((tx) => tx.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.id).execute());
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } }), 401, 'unauthenticated');
    assertProblem(await login({ email: 'leaver@example.com', password: TEST_PASSWORD }), 401, 'invalid_credentials');
  });
});

describe('session timeouts', () => {
  it('an idle session expires after the idle timeout and any session after the absolute one', async () => {
    const { manualClock } = await import('../../platform/clock.ts');
    const clock = manualClock(new Date('2026-03-01T08:00:00Z'));
    const t = await createTestApp({ clock, env: { PARAPET_SESSION_IDLE_MINUTES: '30', PARAPET_SESSION_ABSOLUTE_HOURS: '2' } });
    try {
      await t.createUser('idle@example.com', TEST_PASSWORD);
      const get = (cookie: string) => t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
      const idle = await t.login('idle@example.com', TEST_PASSWORD);
      clock.advance(29 * 60_000);
      assert.equal((await get(idle)).statusCode, 200);
      clock.advance(29 * 60_000);
      assert.equal((await get(idle)).statusCode, 200, 'use resets the idle timer');
      clock.advance(31 * 60_000);
      assertProblem(await get(idle), 401, 'unauthenticated');

      // A revocation written straight into the database (not through Parapet, so nothing is pushed)
      // is honoured once the cache window has passed. Parapet's own revocations are pushed at once
      // (session-revocation.security.test.ts).
      const elsewhere = await t.login('idle@example.com', TEST_PASSWORD);
      assert.equal((await get(elsewhere)).statusCode, 200);
      await t.transactor.withPlatform((tx) => tx.updateTable('sessions').set({ revoked_at: clock.now(), revoked_reason: 'test' }).where('revoked_at', 'is', null).execute());
      clock.advance(SESSION_CACHE_TTL_MS + 1);
      assertProblem(await get(elsewhere), 401, 'unauthenticated');

      const busy = await t.login('idle@example.com', TEST_PASSWORD);
      for (let i = 0; i < 4; i++) {
        clock.advance(25 * 60_000);
        assert.equal((await get(busy)).statusCode, 200);
      }
      // 125 minutes after sign-in, used 25 minutes ago: past the 2 h absolute limit.
      clock.advance(25 * 60_000);
      assertProblem(await get(busy), 401, 'unauthenticated');
    } finally {
      await t.close();
    }
  });
});
