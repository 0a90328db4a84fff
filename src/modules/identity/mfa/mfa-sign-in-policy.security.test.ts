import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { decodeJwt } from 'jose';
import { after, before, describe, it } from 'node:test';
import { addMember, createOrg, OPEN_POLICY, sessionWith } from '../../../../test/support/access.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../../test/support/app.ts';
import { assertProblem } from '../../../../test/support/problem.ts';
import { manualClock } from '../../../platform/clock.ts';
import { me, refresh, tokenLogin, type Pair } from '../../tokens/user-tokens-test-fixture.ts';
import { base32Decode, totp } from './totp.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;


/** The session cookie a response set ("name=value"). */
function setSession(response: LightMyRequestResponse): string | undefined {
  const cookie = response.cookies.find((c) => c.name === 'parapet_session' && c.value !== '');
  return cookie === undefined ? undefined : `${cookie.name}=${cookie.value}`;
}

describe('sign-in under an organization that requires MFA (AUTH-2, issue 3 part 7)', () => {
  const clock = manualClock(new Date('2026-11-23T09:00:00Z'));
  let t: TestApp;
  let org: Org;
  let counter = 0;

  const code = (secret: string) => totp(base32Decode(secret), clock.now());
  const readOrg = (headers: Record<string, string>) => t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers });
  const login = (email: string, extra: object = {}) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, ...extra } });

  /** A session for the admin proven with a second factor, so it may require MFA without locking itself out. */
  const adminWithOtp = () => sessionWith(t, org.admin.userId, ['pwd', 'otp']);

  /** A member of `org` with the viewer role and no second factor. */
  async function member(label: string): Promise<{ email: string; userId: string }> {
    const email = `${label}-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, org.orgId, user.id);
    const bound = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/bindings`, headers: { cookie: (await adminWithOtp()).cookie }, payload: { principal: { type: 'user', id: user.id }, role: 'viewer' } });
    assert.equal(bound.statusCode, 201, bound.body);
    return { email, userId: user.id };
  }

  async function startTotp(cookie: string): Promise<string> {
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } });
    assert.equal(started.statusCode, 201, started.body);
    return started.json<{ secret: string }>().secret;
  }

  before(async () => {
    t = await createTestApp({ clock });
    org = await createOrg(t, 'mfa-required');
    const put = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${org.orgId}/security-policy`, headers: { cookie: (await adminWithOtp()).cookie }, payload: { ...OPEN_POLICY, mfa_required: true } });
    assert.equal(put.statusCode, 200, put.body);
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-2: a member without a second factor is told at sign-in to enrol; the first factor upgrades the console session and the organization lets it in', async () => {
    const { email } = await member('forced');
    const signedIn = await login(email);
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    assert.deepEqual(signedIn.json<{ mfa_enrolment_required: unknown }>().mfa_enrolment_required, [{ organization_id: org.orgId, methods: ['totp', 'webauthn'] }]);
    const passwordOnly = setSession(signedIn);
    assert.ok(passwordOnly);
    // The password-only session is refused by the organization until a factor is enrolled.
    assertProblem(await readOrg({ cookie: passwordOnly }), 403, 'mfa_required');

    const secret = await startTotp(passwordOnly);
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', headers: { cookie: passwordOnly }, payload: { code: code(secret) } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal(confirmed.json<{ session_upgraded: boolean }>().session_upgraded, true);
    const upgraded = setSession(confirmed);
    assert.ok(upgraded !== undefined && upgraded !== passwordOnly, 'a new session id after the upgrade');
    // The old id is ended (ASVS 7.2.4); the new one names the factor and is let in.
    assertProblem(await readOrg({ cookie: passwordOnly }), 401, 'unauthenticated');
    assert.equal((await readOrg({ cookie: upgraded })).statusCode, 200);
    const session = (await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: upgraded } })).json<{ session: { auth_methods: string[] } }>().session;
    assert.deepEqual(session.auth_methods, ['pwd', 'otp', 'mfa']);
    // From now on the password alone opens nothing.
    clock.advance(30_000);
    assert.deepEqual((await login(email)).json(), { mfa_required: true, methods: ['totp', 'recovery_code'] });
  });

  it('AUTH-2: enrolling from a bearer token or outside any MFA-requiring organization upgrades nothing', async () => {
    // Bearer: the token's session stays password-only; the client signs in again with the factor.
    const { email } = await member('bearer');
    const pair = await tokenLogin(t, email);
    const bearer = { authorization: `Bearer ${pair.access_token}` };
    assertProblem(await readOrg(bearer), 403, 'mfa_required');
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: bearer });
    assert.equal(started.statusCode, 201, started.body);
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', headers: bearer, payload: { code: code(started.json<{ secret: string }>().secret) } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal(confirmed.json<{ session_upgraded: boolean }>().session_upgraded, false);
    assert.equal(setSession(confirmed), undefined);
    assertProblem(await readOrg(bearer), 403, 'mfa_required');

    // No organization asks for MFA: the login names none and enrolment keeps the session.
    const loner = `loner-${++counter}@example.com`;
    await t.createUser(loner, TEST_PASSWORD);
    const signedIn = await login(loner);
    assert.equal(signedIn.json<{ mfa_enrolment_required?: unknown }>().mfa_enrolment_required, undefined);
    const cookie = setSession(signedIn) ?? '';
    const own = await startTotp(cookie);
    const kept = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', headers: { cookie }, payload: { code: code(own) } });
    assert.equal(kept.json<{ session_upgraded: boolean }>().session_upgraded, false);
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode, 200);
  });

  it('AUTH-2: a session that is no longer fresh cannot enrol, so a stolen old session cannot upgrade itself', async () => {
    const { email } = await member('stale');
    const cookie = setSession(await login(email)) ?? '';
    clock.advance(11 * 60_000);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } }), 403, 'reauthentication_required');
    assertProblem(await readOrg({ cookie }), 403, 'mfa_required');
  });
});

describe('API clients and the second factor (AUTH-2, AUTH-5)', () => {
  const clock = manualClock(new Date('2026-11-23T09:00:00Z'));
  let t: TestApp;
  let counter = 0;

  const code = (secret: string) => totp(base32Decode(secret), clock.now());

  /** A user with a confirmed authenticator app. */
  async function withTotp(): Promise<{ email: string; secret: string; userId: string }> {
    const email = `client-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } });
    const secret = started.json<{ secret: string }>().secret;
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', headers: { cookie }, payload: { code: code(secret) } })).statusCode, 200);
    clock.advance(30_000);
    return { email, secret, userId: user.id };
  }

  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-2: an API client gets an mfa_token (no cookie), and completing the second factor with it returns tokens that name the factor', async () => {
    const { email, secret, userId } = await withTotp();
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, response_type: 'token' } });
    assert.equal(started.statusCode, 200, started.body);
    assert.equal(started.headers['cache-control'], 'no-store');
    assert.equal(started.cookies.length, 0, 'no cookie for an API client');
    const { mfa_token: mfaToken, methods } = started.json<{ mfa_token: string; methods: string[] }>();
    assert.deepEqual(methods, ['totp', 'recovery_code']);
    // The pending secret is no credential anywhere else.
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { authorization: `Bearer ${mfaToken}` } }), 401, 'unauthenticated');
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: `parapet_session=${mfaToken}` } }), 401, 'unauthenticated');

    const verified = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code(secret), mfa_token: mfaToken, response_type: 'token' } });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.headers['cache-control'], 'no-store');
    const pair = verified.json<Pair>();
    assert.match(pair.refresh_token, /^prt_/);
    const claims = decodeJwt(pair.access_token);
    assert.equal(claims.sub, userId);
    assert.deepEqual(claims['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal((await me(t, pair.access_token)).statusCode, 200);
    // The refreshed pair keeps naming the factor.
    const refreshed = await refresh(t, pair.refresh_token);
    assert.deepEqual(decodeJwt(refreshed.json<Pair>().access_token)['amr'], ['pwd', 'otp', 'mfa']);
    // The pending sign-in was spent.
    clock.advance(30_000);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code(secret), mfa_token: mfaToken, response_type: 'token' } }), 401, 'mfa_pending_invalid');
  });

  it('AUTH-2: a wrong code with an mfa_token is refused and counted; an unknown mfa_token is refused alike', async () => {
    const { email, secret } = await withTotp();
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, response_type: 'token' } });
    const mfaToken = started.json<{ mfa_token: string }>().mfa_token;
    const wrong = String((Number(code(secret)) + 1) % 1_000_000).padStart(6, '0');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: wrong, mfa_token: mfaToken, response_type: 'token' } }), 401, 'invalid_mfa_code');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code(secret), mfa_token: 'A'.repeat(43), response_type: 'token' } }), 401, 'mfa_pending_invalid');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code(secret), mfa_token: 'short' } }), 400, 'invalid_request');
  });

  it('AUTH-5: tokens from the second-factor step can be scoped to an organization the user belongs to, and to no other', async () => {
    const { email, secret, userId } = await withTotp();
    const org = await createOrg(t, 'scoped');
    await addMember(t, org.orgId, userId);
    const begin = async () => (await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, response_type: 'token' } })).json<{ mfa_token: string }>().mfa_token;
    const scoped = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code(secret), mfa_token: await begin(), response_type: 'token', organization_id: org.orgId } });
    assert.equal(scoped.statusCode, 200, scoped.body);
    assert.equal(decodeJwt(scoped.json<Pair>().access_token)['tid'], org.orgId);
    clock.advance(30_000);
    const other = await createOrg(t, 'not-mine');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: code(secret), mfa_token: await begin(), response_type: 'token', organization_id: other.orgId } }), 403, 'forbidden');
    // organization_id scopes tokens only.
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { method: 'totp', code: '000000', mfa_token: await begin(), organization_id: org.orgId } }), 400, 'invalid_request');
  });
});

describe('refresh-token families under an organization\u2019s session timeouts (AUTH-5)', () => {
  const clock = manualClock(new Date('2026-11-23T09:00:00Z'));
  let t: TestApp;
  let org: Org;
  let counter = 0;

  async function memberEmail(): Promise<string> {
    const email = `family-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, org.orgId, user.id);
    return email;
  }
  const putPolicy = async (policy: object, target: Org = org) =>
    t.inject({ method: 'PUT', url: `/api/v1/organizations/${target.orgId}/security-policy`, headers: { cookie: (await sessionWith(t, target.admin.userId, ['pwd'])).cookie }, payload: { ...OPEN_POLICY, ...policy } });

  before(async () => {
    t = await createTestApp({ clock });
    org = await createOrg(t, 'family');
    const put = await putPolicy({ session_idle_minutes: 30, session_absolute_hours: 2 });
    assert.equal(put.statusCode, 200, put.body);
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-5: a member\u2019s family ends at the organization\u2019s absolute limit, however often it is refreshed', async () => {
    let pair = await tokenLogin(t, await memberEmail());
    for (let i = 0; i < 5; i++) {
      clock.advance(20 * 60_000);
      const next = await refresh(t, pair.refresh_token);
      assert.equal(next.statusCode, 200, next.body);
      pair = next.json<Pair>();
    }
    // 100 minutes in; at 2 h the family is over.
    clock.advance(21 * 60_000);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
  });

  it('AUTH-5: a family not refreshed within the organization\u2019s idle limit ends; one refreshed in time lives on', async () => {
    const pair = await tokenLogin(t, await memberEmail());
    clock.advance(29 * 60_000);
    const next = await refresh(t, pair.refresh_token);
    assert.equal(next.statusCode, 200, next.body);
    clock.advance(31 * 60_000);
    assertProblem(await refresh(t, next.json<Pair>().refresh_token), 400, 'invalid_grant');
  });

  it('AUTH-5: idle time between refreshes is never held below the access token\u2019s life, even when the policy is 5 minutes', async () => {
    assert.equal((await putPolicy({ session_idle_minutes: 5, session_absolute_hours: 2 })).statusCode, 200);
    try {
      const pair = await tokenLogin(t, await memberEmail());
      // The client uses its 15-minute access token, then refreshes when it runs out.
      clock.advance(14 * 60_000);
      assert.equal((await me(t, pair.access_token)).statusCode, 200);
      clock.advance(60_000);
      assert.equal((await refresh(t, pair.refresh_token)).statusCode, 200);
    } finally {
      assert.equal((await putPolicy({ session_idle_minutes: 30, session_absolute_hours: 2 })).statusCode, 200);
    }
  });

  it('AUTH-5: a policy tightened later shortens the families already open', async () => {
    const loose = await createOrg(t, 'loose');
    const email = `late-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, loose.orgId, user.id);
    const pair = await tokenLogin(t, email);
    const put = await putPolicy({ session_absolute_hours: 1 }, loose);
    assert.equal(put.statusCode, 200, put.body);
    clock.advance(61 * 60_000);
    assertProblem(await refresh(t, pair.refresh_token), 400, 'invalid_grant');
  });

  it('AUTH-5: without a policy, a member\u2019s family keeps the 7-day lifetime and no idle limit of its own', async () => {
    const free = await createOrg(t, 'free');
    const email = `free-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, free.orgId, user.id);
    const pair = await tokenLogin(t, email);
    clock.advance(3 * 86_400_000);
    assert.equal((await refresh(t, pair.refresh_token)).statusCode, 200);
  });
});
