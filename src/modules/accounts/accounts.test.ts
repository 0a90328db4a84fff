import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { linkToken, startTestSmtp, type TestSmtp, mailTo as waitForMail } from '../../../test/support/smtp.ts';

const NEW_PASSWORD = 'a brand new passphrase for this';

describe('accounts: invitations, email verification, password reset, email change', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = (address: string, subject: RegExp) => waitForMail(t, smtp, address, subject);
  const emailOf = (userId: string) => t.transactor.withPlatform((tx) => tx.selectFrom('users').select(['email', 'email_verified_at']).where('id', '=', userId).executeTakeFirstOrThrow());

  it('invites a new address: the link creates a verified account that is a member with the invited role', async () => {
    const org = await createOrg(t, 'inv-new');
    const email = `new-${crypto.randomUUID()}@example.com`;
    const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/invitations`, headers: { cookie: org.admin.cookie }, payload: { email, role: 'security_analyst' } });
    assert.equal(created.statusCode, 201, created.body);
    const invitation = created.json<{ id: string; status: string; role: string }>();
    assert.equal(invitation.status, 'pending');
    const mail = await mailTo(email, /invited to Org inv-new/);
    assert.match(mail.text, /as Security Analyst/);
    const token = linkToken(mail);
    assert.ok(token.startsWith(`${org.orgId}.`));

    const accepted = await t.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token, display_name: 'New Member', password: NEW_PASSWORD } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.deepEqual(accepted.json(), { organization_id: org.orgId });
    assert.equal(accepted.cookies.length, 0, 'accepting signs nobody in');

    const cookie = await t.login(email, NEW_PASSWORD);
    const user = await t.transactor.withPlatform((tx) => tx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow());
    assert.ok(user.email_verified_at !== null, 'the link proved the address');
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/access-review`, headers: { cookie } })).statusCode, 200);
    const list = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/invitations`, headers: { cookie: org.admin.cookie } });
    assert.equal(list.json<{ items: { id: string; status: string }[] }>().items.find((i) => i.id === invitation.id)?.status, 'accepted');
  });

  it('invites an existing account: it must be signed in as that address to accept', async () => {
    const org = await createOrg(t, 'inv-existing');
    const existing = await signUp(t, 'existing');
    const { email } = await emailOf(existing.userId);
    const other = await signUp(t, 'other');
    await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/invitations`, headers: { cookie: org.admin.cookie }, payload: { email, role: 'viewer' } });
    const token = linkToken(await mailTo(email, /invited/));
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token, display_name: 'Someone', password: NEW_PASSWORD } }), 401, 'sign_in_required');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/invitations/accept', headers: { cookie: other.cookie }, payload: { token } }), 403, 'forbidden');
    const accepted = await t.inject({ method: 'POST', url: '/api/v1/invitations/accept', headers: { cookie: existing.cookie }, payload: { token } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { cookie: existing.cookie } })).statusCode, 200);
  });

  it('revokes a pending invitation: its link stops working', async () => {
    const org = await createOrg(t, 'inv-revoke');
    const email = `revoked-${crypto.randomUUID()}@example.com`;
    const id = (await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/invitations`, headers: { cookie: org.admin.cookie }, payload: { email, role: 'viewer' } })).json<{ id: string }>().id;
    const token = linkToken(await mailTo(email, /invited/));
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/invitations/${id}`, headers: { cookie: org.admin.cookie } })).statusCode, 204);
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/invitations/${id}`, headers: { cookie: org.admin.cookie } }), 404, 'not_found');
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token, display_name: 'Too Late', password: NEW_PASSWORD } }), 400, 'invitation_invalid');
  });

  it('verifies the signed-in user\u2019s address with a mailed link', async () => {
    const member = await signUp(t, 'verify');
    const { email } = await emailOf(member.userId);
    assert.equal((await emailOf(member.userId)).email_verified_at, null);
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify/request', headers: { cookie: member.cookie } })).statusCode, 202);
    const token = linkToken(await mailTo(email, /Confirm your email/));
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload: { token } })).statusCode, 204);
    assert.ok((await emailOf(member.userId)).email_verified_at !== null);
  });

  it('resets a password by mail: the old password stops working, the new one signs in', async () => {
    const member = await signUp(t, 'reset');
    const { email } = await emailOf(member.userId);
    const requested = await t.inject({ method: 'POST', url: '/api/v1/auth/password/reset/request', payload: { email } });
    assert.equal(requested.statusCode, 202);
    const token = linkToken(await mailTo(email, /Reset your Parapet password/));
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, password: NEW_PASSWORD } })).statusCode, 204);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } }), 401, 'invalid_credentials');
    await t.login(email, NEW_PASSWORD);
  });

  it('changes the address once the new one confirms; the old one is told; other sessions end, the current one stays', async () => {
    const member = await signUp(t, 'change');
    const { email } = await emailOf(member.userId);
    const second = await t.login(email, TEST_PASSWORD);
    const next = `changed-${crypto.randomUUID()}@example.com`;
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/email/change', headers: { cookie: member.cookie }, payload: { new_email: next, password: 'not the password at all' } }), 401, 'invalid_credentials');
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/change', headers: { cookie: member.cookie }, payload: { new_email: next, password: TEST_PASSWORD } })).statusCode, 202);
    const notice = await mailTo(email, /being changed/);
    assert.ok(notice.text.includes(next));
    const confirm = await mailTo(next, /Confirm your new email/);
    assert.equal((await emailOf(member.userId)).email, email, 'nothing changes before confirmation');
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/change/confirm', payload: { token: linkToken(confirm) } })).statusCode, 204);
    const after = await emailOf(member.userId);
    assert.equal(after.email, next);
    assert.ok(after.email_verified_at !== null);
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: member.cookie } })).statusCode, 200, 'the session that asked stays');
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: second } })).statusCode, 401, 'other sessions end');
    await t.login(next, TEST_PASSWORD);
  });

  it('the old address can report a change it did not make: pending changes are cancelled and every session ends', async () => {
    const member = await signUp(t, 'report');
    const { email } = await emailOf(member.userId);
    const next = `hijack-${crypto.randomUUID()}@example.com`;
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/change', headers: { cookie: member.cookie }, payload: { new_email: next, password: TEST_PASSWORD } })).statusCode, 202);
    const report = linkToken(await mailTo(email, /being changed/));
    const confirm = linkToken(await mailTo(next, /Confirm your new email/));
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/auth/email/change/report', payload: { token: report } })).statusCode, 204);
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: member.cookie } })).statusCode, 401);
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/email/change/confirm', payload: { token: confirm } }), 400, 'link_invalid');
    assert.equal((await emailOf(member.userId)).email, email);
  });
});
