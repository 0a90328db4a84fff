import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '../../platform/clock.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, signUp, type Member } from '../../../test/support/access.ts';
import { allowRiskyWrites, deleteWithApproval, secondAdmin } from '../../../test/support/risky-writes.ts';
import { linkToken, startTestSmtp, type ReceivedMail, type TestSmtp, mailTo as waitForMail } from '../../../test/support/smtp.ts';

const DAY = 86_400_000;
const START = new Date('2026-05-01T00:00:00Z');
/** `START` plus the 14-day grace period, as the notices write it. */
const EFFECTIVE = '2026-05-15 00:00:00 UTC';
const PUBLIC_URL = 'https://parapet.example.com';

describe('deletion notices by mail (DATA-3)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ clock, env: { ...smtp.env, PARAPET_PUBLIC_URL: PUBLIC_URL } });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = (address: string, subject: RegExp) => waitForMail(t, smtp, address, subject);
  /** Everything delivered so far to `address` (after the mailer settled). */
  const allTo = async (address: string) => {
    await t.app.services.mail.idle();
    return smtp.messages.filter((m) => m.to.includes(address));
  };
  const emailOf = async (member: { userId: string }) => (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', member.userId).executeTakeFirstOrThrow())).email;
  const deliveries = async (address: string) =>
    t.transactor.withPlatform((tx) => tx.selectFrom('mail_deliveries').select(['kind', 'status', 'recipient']).where('recipient', '=', address).orderBy('created_at').execute());
  const both = (mail: ReceivedMail) => `${mail.subject}\n${mail.text}\n${mail.html}`;

  it('DATA-3: scheduling an account deletion mails its address the date it takes effect and a cancel link that works; cancelling mails the cancellation', async () => {
    clock.set(START);
    const user = await signUp(t, 'leaver');
    const email = await emailOf(user);
    const deleted = await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: user.cookie } });
    assert.equal(deleted.statusCode, 202, deleted.body);
    const body = deleted.json<{ cancel_token: string; owner_notified: boolean }>();
    assert.equal(body.owner_notified, true);

    const scheduled = await mailTo(email, /^Your Parapet account is scheduled for deletion$/);
    assert.ok(scheduled.text.includes(EFFECTIVE), scheduled.text);
    assert.ok(scheduled.html.includes(EFFECTIVE));
    assert.ok(scheduled.text.includes(`${PUBLIC_URL}/cancel-deletion#token=${body.cancel_token}`));
    assert.ok(scheduled.text.includes(`${PUBLIC_URL}/api/v1/users/deletion/cancel`), 'names the API path');
    assert.match(scheduled.text, /audit log/i, 'says what is kept');
    // The console page the link opens exists.
    assert.equal((await t.inject({ method: 'GET', url: '/cancel-deletion' })).statusCode, 200);

    // The link's token is the one the cancel route takes.
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/users/deletion/cancel', payload: { token: linkToken(scheduled) } })).statusCode, 204);
    const cancelled = await mailTo(email, /^The deletion of your Parapet account was cancelled$/);
    assert.ok(!both(cancelled).includes(body.cancel_token));
    assert.deepEqual(
      (await deliveries(email)).map((d) => [d.kind, d.status]),
      [
        ['account_deletion_scheduled', 'sent'],
        ['account_deletion_cancelled', 'sent'],
      ],
    );
  });

  it('DATA-3: an account purged after its grace period gets a last notice, and then no address of it is left, not even in delivery records', async () => {
    clock.set(START);
    const user = await signUp(t, 'purged');
    const email = await emailOf(user);
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: user.cookie } })).statusCode, 202);
    await mailTo(email, /scheduled for deletion/);
    assert.equal((await deliveries(email)).length, 1);

    clock.advance(14 * DAY);
    assert.equal((await t.app.services.lifecycle.deletions.purgeDue()).users, 1);
    const last = await mailTo(email, /^Your Parapet account was deleted$/);
    assert.match(last.text, /last message/);
    const rows = await t.transactor.withPlatform((tx) => tx.selectFrom('mail_deliveries').select(['kind', 'status', 'recipient']).execute());
    assert.ok(!rows.some((r) => r.recipient.toLowerCase() === email.toLowerCase()), 'a delivery record still names the deleted address');
    assert.ok(rows.some((r) => r.kind === 'account_deletion_completed' && r.status === 'sent' && r.recipient === '(not recorded)'));
  });

  it("DATA-3: an organization's scheduled, cancelled and completed deletion are mailed to each of its owners, and to nobody else (members, limited admins, another tenant)", async () => {
    clock.set(START);
    const org = await createOrg(t, 'mailed');
    const second = await secondAdmin(t, org);
    const viewer = await memberWithRole(t, org, 'viewer');
    // Tenant Admin with an expiry, or over one project only, does not make an owner.
    const temporary = await memberWithRole(t, org, 'tenant_admin', {}, { expires_at: new Date(START.getTime() + 60 * DAY).toISOString() });
    const projectAdmin = await memberWithRole(t, org, 'tenant_admin', { project_id: org.projectId });
    const neighbour = await createOrg(t, 'neighbour');
    const neighbourSecond = await secondAdmin(t, neighbour);
    const owners = [await emailOf(org.admin), await emailOf(second)];
    const others = await Promise.all([viewer, temporary, projectAdmin, neighbour.admin, neighbourSecond].map((m: Member) => emailOf(m)));

    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    const base = `/api/v1/organizations/${org.orgId}`;
    assert.equal((await deleteWithApproval(t, base, org.admin.cookie, second.cookie)).statusCode, 200);
    assert.equal(await t.app.services.lifecycle.deletions.deliverNotices(), 1);
    for (const address of owners) {
      const mail = await mailTo(address, /^Org mailed is scheduled for deletion$/);
      assert.ok(mail.text.includes(EFFECTIVE), mail.text);
      assert.ok(mail.text.includes(`DELETE ${PUBLIC_URL}/api/v1/organizations/${org.orgId}/deletion`), 'says how to cancel');
      assert.equal(mail.to, address, 'one message per owner: owners do not see each other');
    }

    assert.equal((await t.inject({ method: 'DELETE', url: `${base}/deletion`, headers: { cookie: second.cookie } })).statusCode, 204);
    for (const address of owners) await mailTo(address, /^The deletion of Org mailed was cancelled$/);

    assert.equal((await deleteWithApproval(t, base, org.admin.cookie, second.cookie)).statusCode, 200);
    assert.equal(await t.app.services.lifecycle.deletions.deliverNotices(), 1);
    clock.advance(14 * DAY);
    assert.equal((await t.app.services.lifecycle.deletions.purgeDue()).organizations, 1);
    for (const address of owners) {
      await mailTo(address, /^Org mailed was deleted$/);
      assert.equal((await allTo(address)).filter((m) => /Org mailed/.test(m.subject)).length, 4, 'scheduled, cancelled, scheduled, deleted');
    }
    for (const address of others) assert.deepEqual((await allTo(address)).map((m) => m.subject), [], `${address} was mailed`);
    // Nothing about the organization went anywhere but to its owners.
    for (const mail of smtp.messages.filter((m) => both(m).includes('Org mailed'))) assert.ok(owners.includes(mail.to), `mailed to ${mail.to}`);
  });

  it('DATA-3: no notice carries a password, a session, an API key or any other token; the scheduled account notice carries only its own cancel token', async () => {
    clock.set(START);
    const canaryPassword = `canary password ${crypto.randomUUID()}`;
    const ownerEmail = `canary-owner-${crypto.randomUUID()}@example.com`;
    const owner = await t.createUser(ownerEmail, canaryPassword);
    const ownerCookie = await t.login(ownerEmail, canaryPassword);
    const created = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie: ownerCookie }, payload: { name: 'Canary Org' } });
    const orgId = created.json<{ id: string }>().id;
    const org = { orgId, admin: { userId: owner.id, cookie: ownerCookie } };
    const second = await secondAdmin(t, org);
    const key = await t.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/api-keys`, headers: { cookie: ownerCookie }, payload: { name: 'CI', permissions: ['projects.read'] } });
    assert.equal(key.statusCode, 201, key.body);
    const apiKey = key.json<{ key: string }>().key;

    // The organization's deletion is scheduled and cancelled; then the owner deletes their account and cancels.
    await allowRiskyWrites(t, orgId, ownerCookie);
    assert.equal((await deleteWithApproval(t, `/api/v1/organizations/${orgId}`, ownerCookie, second.cookie)).statusCode, 200);
    await t.app.services.lifecycle.deletions.deliverNotices();
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${orgId}/deletion`, headers: { cookie: ownerCookie } })).statusCode, 204);
    const deleted = await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: ownerCookie } });
    assert.equal(deleted.statusCode, 202, deleted.body);
    const cancelToken = deleted.json<{ cancel_token: string }>().cancel_token;
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/users/deletion/cancel', payload: { token: cancelToken } })).statusCode, 204);
    await mailTo(ownerEmail, /account was cancelled/);

    const mails = [...(await allTo(ownerEmail)), ...(await allTo(await emailOf(second)))];
    assert.deepEqual(mails.map((m) => m.subject).sort(), [
      'Canary Org is scheduled for deletion',
      'Canary Org is scheduled for deletion',
      'The deletion of Canary Org was cancelled',
      'The deletion of Canary Org was cancelled',
      'The deletion of your Parapet account was cancelled',
      'Your Parapet account is scheduled for deletion',
    ]);
    const passwordHash = (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('password_hash').where('id', '=', owner.id).executeTakeFirstOrThrow())).password_hash ?? '';
    const secrets = { password: canaryPassword, 'password hash': passwordHash, 'owner session': ownerCookie.split('=')[1] ?? ownerCookie, 'second session': second.cookie.split('=')[1] ?? second.cookie, 'API key': apiKey };
    for (const mail of mails) {
      for (const [what, value] of Object.entries(secrets)) assert.ok(value.length > 10 && !both(mail).includes(value), `${what} in "${mail.subject}"`);
      if (mail.subject !== 'Your Parapet account is scheduled for deletion') assert.ok(!both(mail).includes(cancelToken), `cancel token in "${mail.subject}"`);
      else assert.deepEqual([...new Set(both(mail).match(/#token=[\w-]+/g))], [`#token=${cancelToken}`], 'the only token is its own cancel token');
    }
  });
});

describe('deletion notices when mail fails (DATA-3)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp({ failFirst: 1_000 });
    t = await createTestApp({ env: smtp.env, mailRetryDelaysMs: [10], logLevel: 'debug' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('DATA-3: a mail server that refuses every notice neither blocks nor undoes a deletion: it is scheduled and cancellable, the delivery is retried, recorded failed and logged without the token or address', async () => {
    const user = await signUp(t, 'unmailable');
    const email = (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', user.userId).executeTakeFirstOrThrow())).email;
    const deleted = await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: user.cookie } });
    assert.equal(deleted.statusCode, 202, deleted.body);
    const token = deleted.json<{ cancel_token: string }>().cancel_token;
    assert.ok(await t.transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select('user_id').where('user_id', '=', user.userId).executeTakeFirst()), 'the deletion was not scheduled');
    await t.app.services.mail.idle();
    assert.equal(smtp.messages.length, 0);
    const [row] = await t.transactor.withPlatform((tx) => tx.selectFrom('mail_deliveries').select(['kind', 'status', 'attempts', 'last_error']).where('recipient', '=', email).execute());
    assert.deepEqual({ ...row, last_error: row?.last_error?.includes('451') }, { kind: 'account_deletion_scheduled', status: 'failed', attempts: 2, last_error: true });

    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/users/deletion/cancel', payload: { token } })).statusCode, 204);
    assert.equal(await t.transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select('user_id').where('user_id', '=', user.userId).executeTakeFirst()), undefined);
    await t.app.services.mail.idle();
    assert.equal(t.logs.filter((line) => line.includes('mail delivery failed')).length, 4, 'two notices, two attempts each');
    for (const line of t.logs) assert.ok(!line.includes(token) && !line.includes(email), `token or address in log: ${line}`);
  });
});
