// Attacks on the account flows (ASVS V6.3, V6.4; AUTH-6): enumeration, link reuse and expiry,
// sessions around a reset, role escalation and cross-organization use of invitations, and links
// leaking into logs. Each test names the defence it exercises.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '../../platform/clock.ts';
import type { PasswordHasher } from '../identity/index.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, post, signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { linkToken, startTestSmtp, type TestSmtp, mailTo as waitForMail } from '../../../test/support/smtp.ts';

const NEW_PASSWORD = 'another entirely fresh passphrase';

describe('accounts: attacks', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  const clock = manualClock(new Date());
  const hasherCalls = { hash: 0, verify: 0 };
  let ipCounter = 0;
  /** Each test speaks from its own address, so per-address link throttling stays per test. */
  const newIp = () => `198.51.100.${++ipCounter}`;

  before(async () => {
    smtp = await startTestSmtp();
    const wrapHasher = (hasher: PasswordHasher): PasswordHasher => ({
      ...hasher,
      hash: (password) => {
        hasherCalls.hash++;
        return hasher.hash(password);
      },
      verify: (stored, password) => {
        hasherCalls.verify++;
        return hasher.verify(stored, password);
      },
    });
    t = await createTestApp({ env: { ...smtp.env, PARAPET_LOG_LEVEL: 'debug' }, clock, wrapHasher, logLevel: 'debug' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = (address: string, subject: RegExp) => waitForMail(t, smtp, address, subject);
  const emailOf = async (userId: string) => (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow())).email;
  const counters = () => ({ ...hasherCalls, ...t.app.services.mail.stats() });
  const resetRequest = (email: string, ip: string) => t.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email }, remoteAddress: ip });
  const reset = (token: string, ip: string, password = NEW_PASSWORD) => t.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, password }, remoteAddress: ip });
  const accept = (token: string, ip: string, extra: object = { display_name: 'Invitee', password: NEW_PASSWORD }, cookie?: string) =>
    t.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token, ...extra }, remoteAddress: ip, ...(cookie === undefined ? {} : { headers: { cookie } }) });

  it('AUTH-6: a reset request answers the same status and body, and does the same work, for an existing, an unknown and a disabled account', async () => {
    const ip = newIp();
    const existing = await signUp(t, 'enum-reset');
    const disabled = await signUp(t, 'enum-disabled');
    await t.transactor.withPlatform((tx) => tx.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', disabled.userId).execute());
    const addresses = [await emailOf(existing.userId), `nobody-${crypto.randomUUID()}@example.com`, await emailOf(disabled.userId)];
    const observed = [];
    for (const email of addresses) {
      await t.app.services.mail.idle();
      const before = counters();
      const response = await resetRequest(email, ip);
      const after = counters();
      observed.push({
        status: response.statusCode,
        body: response.body,
        hashes: after.hash - before.hash,
        verifies: after.verify - before.verify,
        rendered: after.rendered - before.rendered,
        queued: after.queued - before.queued,
      });
    }
    const [known, unknown, off] = observed;
    assert.equal(known?.status, 202);
    for (const other of [unknown, off]) {
      assert.equal(other?.status, known?.status);
      assert.equal(other?.body, known?.body, 'the same body');
      // Timing class: the same password hashing (none) and the same mail rendering (one message).
      assert.equal(other?.hashes, known?.hashes);
      assert.equal(other?.verifies, known?.verifies);
      assert.equal(other?.rendered, known?.rendered);
    }
    assert.equal(known?.rendered, 1);
    // Only the real, usable account is mailed.
    assert.deepEqual([known?.queued, unknown?.queued, off?.queued], [1, 0, 0]);
  });

  it('AUTH-6: inviting an address that has an account answers and works exactly like inviting one that has none', async () => {
    const org = await createOrg(t, 'enum-invite');
    const existing = await signUp(t, 'enum-invitee');
    const results = [];
    for (const email of [await emailOf(existing.userId), `fresh-${crypto.randomUUID()}@example.com`]) {
      await t.app.services.mail.idle();
      const before = counters();
      const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/invitations`, headers: { cookie: org.admin.cookie }, payload: { email, role: 'viewer' } });
      await t.app.services.mail.idle();
      const after = counters();
      const body = response.json<Record<string, unknown>>();
      const mail = await mailTo(email, /invited/);
      results.push({
        status: response.statusCode,
        shape: { ...body, id: '', email: '', created_at: '', expires_at: '' },
        work: { hashes: after.hash - before.hash, verifies: after.verify - before.verify, rendered: after.rendered - before.rendered, queued: after.queued - before.queued },
        mail: mail.text.replace(/#token=\S+/, '').replace(/until [^.]+\./, ''),
      });
    }
    assert.equal(results[0]?.status, 201);
    assert.deepEqual(results[1], results[0]);
  });

  it('AUTH-6: reset, verification and invitation links work once', async () => {
    const ip = newIp();
    const member = await signUp(t, 'reuse');
    const email = await emailOf(member.userId);
    await resetRequest(email, ip);
    const resetToken = linkToken(await mailTo(email, /Reset your/));
    assert.equal((await reset(resetToken, ip)).statusCode, 204);
    assertProblem(await reset(resetToken, ip, 'yet another good passphrase'), 400, 'link_invalid');

    const cookie = await t.login(email, NEW_PASSWORD);
    await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify/request', headers: { cookie } });
    // The reset link already proved the address: nothing to verify, no mail.
    const verifiedBy = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email_verified_at').where('id', '=', member.userId).executeTakeFirstOrThrow());
    assert.ok(verifiedBy.email_verified_at !== null);
    const other = await signUp(t, 'reuse-verify');
    const otherEmail = await emailOf(other.userId);
    await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify/request', headers: { cookie: other.cookie } });
    const verifyToken = linkToken(await mailTo(otherEmail, /Confirm your email/));
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload: { token: verifyToken }, remoteAddress: ip })).statusCode, 204);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload: { token: verifyToken }, remoteAddress: ip }), 400, 'link_invalid');

    const org = await createOrg(t, 'reuse-invite');
    const invitee = `reuse-${crypto.randomUUID()}@example.com`;
    await post(t, org.admin, `/api/v1/organizations/${org.orgId}/invitations`, { email: invitee, role: 'viewer' });
    const inviteToken = linkToken(await mailTo(invitee, /invited/));
    assert.equal((await accept(inviteToken, ip)).statusCode, 200);
    const signedIn = await t.login(invitee, NEW_PASSWORD);
    assertProblem(await accept(inviteToken, ip, {}, signedIn), 400, 'invitation_invalid');
    assertProblem(await accept(inviteToken, ip), 400, 'invitation_invalid');
  });

  it('AUTH-6: a new reset request invalidates the earlier link', async () => {
    const ip = newIp();
    const member = await signUp(t, 'supersede');
    const email = await emailOf(member.userId);
    await resetRequest(email, ip);
    const first = linkToken(await mailTo(email, /Reset your/));
    await resetRequest(email, ip);
    await t.app.services.mail.idle();
    const second = linkToken(await smtp.waitFor((m) => m.to.includes(email) && linkToken(m) !== first));
    assertProblem(await reset(first, ip), 400, 'link_invalid');
    assert.equal((await reset(second, ip)).statusCode, 204);
  });

  it('AUTH-6: expired links are refused (reset after 30 minutes, verification after 24 hours, invitations after 7 days)', async () => {
    const ip = newIp();
    const member = await signUp(t, 'expiry');
    const email = await emailOf(member.userId);
    await resetRequest(email, ip);
    const resetToken = linkToken(await mailTo(email, /Reset your/));
    await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify/request', headers: { cookie: member.cookie } });
    const verifyToken = linkToken(await mailTo(email, /Confirm your email/));
    const org = await createOrg(t, 'expiry-invite');
    const invitee = `late-${crypto.randomUUID()}@example.com`;
    await post(t, org.admin, `/api/v1/organizations/${org.orgId}/invitations`, { email: invitee, role: 'viewer' });
    const inviteToken = linkToken(await mailTo(invitee, /invited/));

    clock.advance(30 * 60_000 + 1000);
    assertProblem(await reset(resetToken, ip), 400, 'link_invalid');
    clock.advance(24 * 3_600_000);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload: { token: verifyToken }, remoteAddress: ip }), 400, 'link_invalid');
    clock.advance(6 * 24 * 3_600_000);
    assertProblem(await accept(inviteToken, newIp()), 400, 'invitation_invalid');
  });

  it('ASVS 6.4.3, 7.4.3: a password reset ends every session of the account and signs nobody in', async () => {
    const ip = newIp();
    const member = await signUp(t, 'reset-sessions');
    const email = await emailOf(member.userId);
    const second = await t.login(email, TEST_PASSWORD);
    await resetRequest(email, ip);
    const token = linkToken(await mailTo(email, /Reset your/));
    const response = await reset(token, ip);
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['set-cookie'], undefined, 'no session cookie');
    for (const cookie of [member.cookie, second]) assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode, 401);
    const live = await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select('id').where('user_id', '=', member.userId).where('revoked_at', 'is', null).execute());
    assert.equal(live.length, 0, 'no session exists until the user signs in again (with every factor)');
  });

  it('AC-1: an inviter cannot promise a role above their own', async () => {
    const org = await createOrg(t, 'escalate');
    const roleId = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/roles`, {
      name: 'Recruiter',
      description: 'invites viewers',
      permissions: ['members.manage', 'members.read', 'organization.read', 'projects.read', 'environments.read', 'access.request'],
    });
    const recruiter = await memberWithRole(t, org, roleId);
    const invite = (role: string, email: string) => t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/invitations`, headers: { cookie: recruiter.cookie }, payload: { email, role } });
    const target = `climber-${crypto.randomUUID()}@example.com`;
    assertProblem(await invite('tenant_admin', target), 403, 'forbidden');
    assertProblem(await invite('security_admin', target), 403, 'forbidden');
    const pending = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('invitations').select('id').where('email', '=', target).execute());
    assert.equal(pending.length, 0);
    assert.equal((await invite('viewer', target)).statusCode, 201);
    await t.app.services.mail.idle();
    assert.ok(!smtp.messages.some((m) => m.to.includes(target) && /Tenant Admin|Security Admin/.test(m.text)));
  });

  it('TEN-1: an invitation to organization A cannot be accepted into organization B, read or revoked from B', async () => {
    const ip = newIp();
    const a = await createOrg(t, 'cross-a');
    const b = await createOrg(t, 'cross-b');
    const invitee = `cross-${crypto.randomUUID()}@example.com`;
    const id = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/invitations`, { email: invitee, role: 'tenant_admin' });
    const token = linkToken(await mailTo(invitee, /invited to Org cross-a/));
    const secret = token.slice(token.indexOf('.') + 1);
    assertProblem(await accept(`${b.orgId}.${secret}`, ip), 400, 'invitation_invalid');
    const users = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('email', '=', invitee).execute());
    assert.equal(users.length, 0, 'no account was created');
    const inB = await t.transactor.withTenant(b.orgId, (tx) => tx.selectFrom('role_bindings').select('id').where('built_in_role', '=', 'tenant_admin').execute());
    assert.equal(inB.length, 1, 'B still has only its own admin');
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${b.orgId}/invitations/${id}`, headers: { cookie: b.admin.cookie } }), 404, 'not_found');
    const listed = await t.inject({ method: 'GET', url: `/api/v1/organizations/${b.orgId}/invitations`, headers: { cookie: b.admin.cookie } });
    assert.deepEqual(listed.json<{ items: unknown[] }>().items, []);
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/invitations`, headers: { cookie: b.admin.cookie } }), 404, 'not_found');
    // The genuine link still works, into A only.
    assert.deepEqual((await accept(token, ip)).json(), { organization_id: a.orgId });
  });

  it('AUTH-6: invalid links are throttled per client address, then refused even when valid', async () => {
    const ip = newIp();
    const member = await signUp(t, 'throttle-links');
    const email = await emailOf(member.userId);
    await resetRequest(email, newIp());
    const token = linkToken(await mailTo(email, /Reset your/));
    for (let i = 0; i < 4; i++) assertProblem(await reset('x'.repeat(43), ip), 400, 'link_invalid');
    assertProblem(await reset(token, ip), 429, 'too_many_attempts');
    assertProblem(await accept('garbage', ip), 429, 'too_many_attempts');
    // Another address is not affected, and the link was not used up by the refusals.
    assert.equal((await reset(token, newIp())).statusCode, 204);
  });

  it('AUTH-6: reset requests for one address are spaced out and capped, known and unknown addresses alike', async () => {
    const member = await signUp(t, 'throttle-reset');
    for (const email of [await emailOf(member.userId), `ghost-${crypto.randomUUID()}@example.com`]) {
      for (let i = 0; i < 4; i++) assert.equal((await resetRequest(email, newIp())).statusCode, 202);
      const refused = assertProblem(await resetRequest(email, newIp()), 429, 'too_many_attempts');
      assert.match(String(refused['detail']), /Too many requests for this account/);
    }
    clock.advance(2000);
  });

  it('links never reach the logs or the audit log', async () => {
    const ip = newIp();
    const org = await createOrg(t, 'canary');
    const member = await signUp(t, 'canary-member');
    const email = await emailOf(member.userId);
    await resetRequest(email, ip);
    const resetToken = linkToken(await mailTo(email, /Reset your/));
    await reset(resetToken, ip);
    await reset(resetToken, ip);
    const invitee = `canary-${crypto.randomUUID()}@example.com`;
    await post(t, org.admin, `/api/v1/organizations/${org.orgId}/invitations`, { email: invitee, role: 'viewer' });
    const inviteToken = linkToken(await mailTo(invitee, /invited/));
    await accept(inviteToken, ip);
    await accept(inviteToken, ip);
    const cookie = await t.login(email, NEW_PASSWORD);
    await t.inject({ method: 'POST', url: '/api/v1/auth/email/change', headers: { cookie }, payload: { new_email: `canary-new-${crypto.randomUUID()}@example.com`, password: NEW_PASSWORD } });
    await t.app.services.mail.idle();
    const changeTokens = smtp.messages.filter((m) => /being changed|new email/.test(m.subject) && m.text.includes('canary')).map(linkToken);
    const secrets = [resetToken, inviteToken, inviteToken.slice(inviteToken.indexOf('.') + 1), ...changeTokens];
    assert.ok(t.logs.length > 20);
    for (const line of t.logs) for (const secret of secrets) assert.ok(!line.includes(secret), `link token in log: ${line}`);
    await t.app.services.audit.apiCalls.flush();
    await t.app.services.audit.sequencer.drain();
    for (const tenant of ['00000000-0000-0000-0000-000000000000', org.orgId]) {
      const events = await t.transactor.withTenant(tenant, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
      for (const event of events) for (const secret of secrets) assert.ok(!Buffer.from(event.canonical).toString('utf8').includes(secret), `link token in audit event ${event.action}`);
    }
  });
});
