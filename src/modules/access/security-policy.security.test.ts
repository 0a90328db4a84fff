import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, OPEN_POLICY, post, sessionWith, signUp, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { manualClock } from '../../platform/clock.ts';
import { findUserById, TOKEN_SESSION_MIN_IDLE_SECONDS } from '../identity/identity-store.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;


function putPolicy(t: TestApp, org: Org, who: Member, policy: object, remoteAddress = '127.0.0.1') {
  return t.inject({ method: 'PUT', url: `/api/v1/organizations/${org.orgId}/security-policy`, headers: { cookie: who.cookie }, payload: { ...OPEN_POLICY, ...policy }, remoteAddress });
}

function readOrg(t: TestApp, org: Org, who: Member | { authorization: string }, remoteAddress: string, headers: Record<string, string> = {}) {
  const auth = 'cookie' in who ? { cookie: who.cookie } : who;
  return t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { ...auth, ...headers }, remoteAddress });
}

describe('organization security policy: network allowlist (AUTH-9)', () => {
  let t: TestApp;
  let org: Org;
  let viewer: Member;

  before(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'allow');
    viewer = await memberWithRole(t, org, 'viewer');
    const put = await putPolicy(t, org, org.admin, { ip_allowlist: ['127.0.0.1/32', '203.0.113.0/24', '2001:db8::/32'] });
    assert.equal(put.statusCode, 200, put.body);
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-9: members are let in from listed IPv4 and IPv6 ranges and refused from anywhere else', async () => {
    assert.equal((await readOrg(t, org, viewer, '203.0.113.77')).statusCode, 200);
    assert.equal((await readOrg(t, org, viewer, '2001:db8:1::5')).statusCode, 200);
    // The IPv4-mapped form a dual-stack socket reports is the same address.
    assert.equal((await readOrg(t, org, viewer, '::ffff:203.0.113.77')).statusCode, 200);
    assertProblem(await readOrg(t, org, viewer, '198.51.100.7'), 403, 'ip_not_allowed');
    assertProblem(await readOrg(t, org, viewer, '2001:db9::1'), 403, 'ip_not_allowed');
    // The Tenant Admin is held to it as well.
    assertProblem(await readOrg(t, org, org.admin, '198.51.100.7'), 403, 'ip_not_allowed');
  });

  it('AUTH-9: a spoofed X-Forwarded-For is ignored when trustProxy is off', async () => {
    assertProblem(await readOrg(t, org, viewer, '198.51.100.7', { 'x-forwarded-for': '203.0.113.5' }), 403, 'ip_not_allowed');
    assertProblem(await readOrg(t, org, viewer, '2001:db9::1', { 'x-forwarded-for': '2001:db8::1' }), 403, 'ip_not_allowed');
  });

  it('AUTH-9: API keys are held to the allowlist too', async () => {
    const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers: { cookie: org.admin.cookie }, payload: { name: 'ci', role: 'viewer' } });
    assert.equal(created.statusCode, 201, created.body);
    const authorization = `Bearer ${created.json<{ key: string }>().key}`;
    assert.equal((await readOrg(t, org, { authorization }, '203.0.113.9')).statusCode, 200);
    assertProblem(await readOrg(t, org, { authorization }, '198.51.100.7'), 403, 'ip_not_allowed');
  });

  it('AUTH-9: a refusal names nothing of an organization the caller does not belong to', async () => {
    const outsider = await signUp(t, 'outsider');
    assertProblem(await readOrg(t, org, outsider, '198.51.100.7'), 404, 'not_found');
  });

  it('AUTH-9: an administrator cannot apply an allowlist that leaves out their own address', async () => {
    assertProblem(await putPolicy(t, org, org.admin, { ip_allowlist: ['203.0.113.0/24'] }), 409, 'policy_would_lock_you_out');
    assertProblem(await putPolicy(t, org, org.admin, { ip_allowlist: ['10.0.0.0/33'] }), 400, 'invalid_request');
  });
});

describe('organization security policy behind a trusted proxy (AUTH-9)', () => {
  let t: TestApp;
  let org: Org;
  let viewer: Member;

  before(async () => {
    t = await createTestApp({ env: { PARAPET_TRUST_PROXY: '127.0.0.1' } });
    org = await createOrg(t, 'proxied');
    viewer = await memberWithRole(t, org, 'viewer');
    const put = await t.inject({
      method: 'PUT',
      url: `/api/v1/organizations/${org.orgId}/security-policy`,
      headers: { cookie: org.admin.cookie, 'x-forwarded-for': '203.0.113.10' },
      payload: { ...OPEN_POLICY, ip_allowlist: ['203.0.113.0/24'] },
    });
    assert.equal(put.statusCode, 200, put.body);
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-9: the client address comes from X-Forwarded-For only when the proxy is trusted', async () => {
    assert.equal((await readOrg(t, org, viewer, '127.0.0.1', { 'x-forwarded-for': '203.0.113.5' })).statusCode, 200);
    assertProblem(await readOrg(t, org, viewer, '127.0.0.1', { 'x-forwarded-for': '198.51.100.5' }), 403, 'ip_not_allowed');
    // From an untrusted peer, the header is ignored: the peer itself is judged.
    assertProblem(await readOrg(t, org, viewer, '198.51.100.9', { 'x-forwarded-for': '203.0.113.5' }), 403, 'ip_not_allowed');
  });
});

describe('organization security policy: MFA and session timeouts', () => {
  const clock = manualClock(new Date('2026-11-23T09:00:00Z'));
  let t: TestApp;
  let org: Org;

  before(async () => {
    t = await createTestApp({ clock });
    org = await createOrg(t, 'mfa');
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-2: with MFA required, a password-only session is refused and a session with an allowed second factor is let in', async () => {
    const viewer = await memberWithRole(t, org, 'viewer');
    assertProblem(await putPolicy(t, org, org.admin, { mfa_required: true }), 409, 'policy_would_lock_you_out');
    const adminWithOtp = await sessionWith(t, org.admin.userId, ['pwd', 'otp']);
    assert.equal((await putPolicy(t, org, adminWithOtp, { mfa_required: true, allowed_mfa_methods: ['webauthn'] })).statusCode, 409);
    const put = await putPolicy(t, org, adminWithOtp, { mfa_required: true });
    assert.equal(put.statusCode, 200, put.body);
    assertProblem(await readOrg(t, org, viewer, '127.0.0.1'), 403, 'mfa_required');
    assert.equal((await readOrg(t, org, await sessionWith(t, viewer.userId, ['pwd', 'otp']), '127.0.0.1')).statusCode, 200);
    const passkeyOnly = await sessionWith(t, viewer.userId, ['hwk', 'user']);
    assert.equal((await readOrg(t, org, passkeyOnly, '127.0.0.1')).statusCode, 200);
    // Narrowing the methods refuses a session proven with another one.
    assert.equal((await putPolicy(t, org, await sessionWith(t, org.admin.userId, ['hwk']), { mfa_required: true, allowed_mfa_methods: ['webauthn'] })).statusCode, 200);
    assertProblem(await readOrg(t, org, await sessionWith(t, viewer.userId, ['pwd', 'otp']), '127.0.0.1'), 403, 'mfa_method_not_allowed');
    assert.equal((await readOrg(t, org, passkeyOnly, '127.0.0.1')).statusCode, 200);
  });

  it('AUTH-5: sessions follow the strictest timeouts of the user\u2019s organizations, tightened at once when a policy changes', async () => {
    const timed = await createOrg(t, 'timed');
    const member = await memberWithRole(t, timed, 'viewer');
    const put = await putPolicy(t, timed, timed.admin, { session_idle_minutes: 10, session_absolute_hours: 2 });
    assert.equal(put.statusCode, 200, put.body);
    // The live session shrank to 10 minutes idle: 11 quiet minutes end it.
    clock.advance(11 * 60_000);
    assertProblem(await readOrg(t, timed, member, '127.0.0.1'), 401, 'unauthenticated');
    // A new sign-in starts with the organization's limits.
    const email = (await t.transactor.withPlatform((tx) => findUserById(tx, member.userId)))?.email ?? '';
    const fresh = { userId: member.userId, cookie: await t.login(email, TEST_PASSWORD) };
    const sessions = await t.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie: fresh.cookie } });
    const current = sessions.json<{ items: { current: boolean; idle_expires_at: string; absolute_expires_at: string }[] }>().items.find((s) => s.current);
    assert.equal(Date.parse(current?.idle_expires_at ?? '') - clock.now().getTime(), 10 * 60_000);
    assert.equal(Date.parse(current?.absolute_expires_at ?? '') - clock.now().getTime(), 2 * 3_600_000);
  });

  it('AUTH-5: tightening keeps an API client\u2019s session (it has a refresh-token family) above an access token\u2019s life; browser sessions shrink to the policy', async () => {
    const tight = await createOrg(t, 'tight');
    const member = await memberWithRole(t, tight, 'viewer');
    const email = (await t.transactor.withPlatform((tx) => findUserById(tx, member.userId)))?.email ?? '';
    const signIn = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, response_type: 'token' } });
    assert.equal(signIn.statusCode, 200, signIn.body);
    const put = await putPolicy(t, tight, tight.admin, { session_idle_minutes: 5 });
    assert.equal(put.statusCode, 200, put.body);
    const idle = await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select(['id', 'idle_timeout_seconds']).where('user_id', '=', member.userId).where('revoked_at', 'is', null).execute());
    const limits = idle.map((row) => row.idle_timeout_seconds).sort((a, b) => a - b);
    // One browser session (the member's cookie) and one API client's session (the token sign-in).
    assert.deepEqual(limits, [5 * 60, TOKEN_SESSION_MIN_IDLE_SECONDS]);
  });

  it('AUTH-5: a session older than the organization\u2019s absolute limit must sign in again, even one created before joining', async () => {
    const strict = await createOrg(t, 'strict');
    assert.equal((await putPolicy(t, strict, strict.admin, { session_absolute_hours: 1 })).statusCode, 200);
    // Someone signs in, then keeps their session alive by use for 75 minutes before joining.
    const joiner = await signUp(t, 'joiner');
    for (let i = 0; i < 3; i++) {
      clock.advance(25 * 60_000);
      assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: joiner.cookie } })).statusCode, 200);
    }
    const admin = await sessionWith(t, strict.admin.userId, ['pwd']);
    await addMember(t, strict.orgId, joiner.userId);
    await post(t, admin, `/api/v1/organizations/${strict.orgId}/bindings`, { principal: { type: 'user', id: joiner.userId }, role: 'viewer' });
    assertProblem(await readOrg(t, strict, joiner, '127.0.0.1'), 403, 'reauthentication_required');
    // The session still works elsewhere; a fresh sign-in is let in.
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: joiner.cookie } })).statusCode, 200);
    assert.equal((await readOrg(t, strict, await sessionWith(t, joiner.userId, ['pwd']), '127.0.0.1')).statusCode, 200);
  });

  it('step-up: changing the policy needs a sign-in within the last 10 minutes', async () => {
    const org2 = await createOrg(t, 'stepup');
    clock.advance(11 * 60_000);
    // Still signed in (idle under 30 minutes) but authenticated 11 minutes ago.
    assert.equal((await readOrg(t, org2, org2.admin, '127.0.0.1')).statusCode, 200);
    assertProblem(await putPolicy(t, org2, org2.admin, { session_idle_minutes: 15 }), 403, 'reauthentication_required');
  });
});

describe('administrators end sessions (ASVS 7.4.2)', () => {
  let t: TestApp;
  let org: Org;
  let other: Org;

  before(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'revoker');
    other = await createOrg(t, 'other');
  });
  after(async () => {
    await t.close();
  });

  it('AUTH-5: a tenant admin ends every session of a member; a non-member\u2019s id answers 404', async () => {
    const member = await memberWithRole(t, org, 'viewer');
    const second = await sessionWith(t, member.userId, ['pwd']);
    const revoked = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/members/${member.userId}/sessions`, headers: { cookie: org.admin.cookie } });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json<{ revoked: number }>().revoked, 2);
    for (const session of [member, second]) assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: session.cookie } }), 401, 'unauthenticated');
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/members/${other.admin.userId}/sessions`, headers: { cookie: org.admin.cookie } }), 404, 'not_found');
    // A viewer may not.
    const viewer = await memberWithRole(t, org, 'viewer');
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/members/${org.admin.userId}/sessions`, headers: { cookie: viewer.cookie } }), 403, 'forbidden');
  });

  it('AUTH-5: disabling a user ends all their sessions and refuses sign-in; only platform administrators may', async () => {
    const operator = await signUp(t, 'operator', { platformAdmin: true });
    const email = `victim-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/platform/users/${user.id}/disable`, headers: { cookie: org.admin.cookie } }), 403, 'forbidden');
    const disabled = await t.inject({ method: 'POST', url: `/api/v1/platform/users/${user.id}/disable`, headers: { cookie: operator.cookie } });
    assert.equal(disabled.statusCode, 200, disabled.body);
    assert.deepEqual(disabled.json(), { id: user.id, disabled: true, sessions_revoked: 1 });
    assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } }), 401, 'unauthenticated');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } }), 401, 'invalid_credentials');
    assert.equal((await t.inject({ method: 'POST', url: `/api/v1/platform/users/${user.id}/enable`, headers: { cookie: operator.cookie } })).statusCode, 200);
    await t.login(email, TEST_PASSWORD);
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/platform/users/${crypto.randomUUID()}/disable`, headers: { cookie: operator.cookie } }), 404, 'not_found');
  });
});
