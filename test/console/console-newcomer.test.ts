// Issue 19's "Done when", end to end in one test: a newcomer on a fresh Parapet follows the README
// in the console alone — opens the printed setup link, creates the first administrator, signs in,
// creates an organization, a project and an environment, invites a member (who accepts from the
// mail the in-process SMTP server received), gives them a role, requires MFA (setting up an
// authenticator app first, as the lock-out guard asks), creates an API key and uses it, reads the
// audit log and verifies an event's inclusion proof. Every result is checked through the API.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp.ts';
import { manualClock } from '../../src/platform/clock.ts';
import type { Member } from '../support/access.ts';
import { axeViolations, BROWSER_SKIP, message, screenshot, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const PASSWORD = 'correct horse battery staple on a fresh install';

peerSuite('a newcomer runs Parapet from the console alone (issue 19, "Done when")', BROWSER_SKIP, () => {
  const clock = manualClock(new Date());
  let app: BrowserApp;
  let smtp: TestSmtp;

  before(async () => {
    smtp = await startTestSmtp();
    app = await startBrowserApp({ clock, env: smtp.env });
  });
  after(async () => {
    await app?.close();
    await smtp?.close();
  });

  it('AC-1, AUTH-2, AUD-2: from a fresh app the first administrator sets up, creates an organization, project and environment, invites a member, gives a role, requires MFA, creates and uses an API key and verifies an audit event\'s proof — all by clicking', async () => {
    const { t } = app;
    const axe = async (page: Parameters<typeof axeViolations>[0], where: string) => {
      assert.deepEqual(await axeViolations(page), [], where);
    };
    // What `npm start` prints on a fresh install: the one-time setup link.
    const link = await t.app.services.setup.issueLink(app.baseURL);
    assert.ok(link, 'a fresh app offers a setup link');
    const admin = await app.openPage();
    const { page } = admin;
    await page.goto(link);
    await page.fill('#display_name', 'Ada Admin');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', PASSWORD);
    await page.fill('#confirm', PASSWORD);
    await page.click('#setup button[type=submit]');
    await page.waitForURL('**/login?setup=done');
    await page.locator('#notice', { hasText: 'Administrator created' }).waitFor();
    await screenshot(page, 'newcomer-sign-in');
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('#login button[type=submit]');
    await page.waitForURL('**/console');

    // An organization, a project and an environment.
    await page.fill('#name', 'Acme');
    await page.click('#create-org button[type=submit]');
    await page.locator('#org-name', { hasText: 'Acme' }).waitFor();
    const orgId = new URL(page.url()).hash.split('/')[2] ?? '';
    const base = `/api/v1/organizations/${orgId}`;
    await page.click('nav.tabs >> text=Projects');
    await page.fill('#project-name', 'Payments');
    await page.click('#create-project button[type=submit]');
    await page.locator('.project h3', { hasText: 'Payments' }).waitFor();
    await page.fill('.create-env input[name=name]', 'production');
    await page.selectOption('.create-env select', 'production');
    await page.click('.create-env button[type=submit]');
    await page.locator('.environments li', { hasText: 'production (production)' }).waitFor();
    await screenshot(page, 'projects');
    await axe(page, 'projects');

    // The API, asked as the administrator (a session cookie of the browser), agrees.
    const cookieOf = async (context: typeof admin.context): Promise<Member> => {
      const session = (await context.cookies()).find((c) => c.name === 'parapet_session');
      assert.ok(session, 'signed in');
      return { userId: '', cookie: `parapet_session=${session.value}` };
    };
    let ada = await cookieOf(admin.context);
    const projects = await app.json<{ items: { id: string; name: string }[] }>(ada, `${base}/projects`);
    assert.deepEqual(projects.items.map((p) => p.name), ['Payments']);
    const environments = await app.json<{ items: { name: string; kind: string }[] }>(ada, `${base}/projects/${projects.items[0]?.id ?? ''}/environments`);
    assert.deepEqual(environments.items.map((e) => [e.name, e.kind]), [['production', 'production']]);

    // Invite a member; they accept from the mail.
    await page.click('nav.tabs >> text=Members');
    await page.fill('#invite-email', 'bob@example.com');
    await page.selectOption('#invite-role', 'viewer');
    await page.click('#invite button[type=submit]');
    await message(page, /Invitation sent/);
    const mail = await smtp.waitFor((m) => m.to.includes('bob@example.com'), 60_000);
    const accept = /https?:\/\/\S+\/accept-invitation#token=[A-Za-z0-9_.-]+/.exec(mail.text)?.[0];
    assert.ok(accept, `the invitation mail carries the link: ${mail.text}`);
    const bob = await app.openPage();
    await bob.page.goto(accept);
    await bob.page.fill('#display_name', 'Bob Builder');
    await bob.page.fill('#password', PASSWORD);
    await bob.page.fill('#confirm', PASSWORD);
    await bob.page.click('#submit');
    await bob.page.locator('#intro', { hasText: 'You joined the organization.' }).waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      assert.fail(`accepting the invitation: ${(await bob.page.textContent('#message')) ?? ''} (${String(error)})`);
    });
    await bob.done();

    // Give them a role.
    await page.reload();
    const bobRow = page.locator('#members tr', { hasText: 'bob@example.com' });
    await bobRow.waitFor();
    const bobId = await bobRow.locator('form.change-role').getAttribute('data-user');
    assert.ok(bobId);
    await page.selectOption(`form.change-role[data-user="${bobId}"] select`, 'security_analyst');
    await page.click(`form.change-role[data-user="${bobId}"] button`);
    await bobRow.locator('td:nth-child(3)', { hasText: /^Security Analyst$/ }).waitFor();
    await screenshot(page, 'members');
    await axe(page, 'members');
    const bindings = await app.json<{ items: { role: string }[] }>(ada, `${base}/bindings?principal_id=${bobId}`);
    assert.deepEqual(bindings.items.map((b) => b.role), ['security_analyst']);

    // Require MFA: the lock-out guard refuses while Ada signed in with a password alone, and says what to do.
    await page.click('nav.tabs >> text=Security policy');
    await page.check('#policy-mfa');
    await page.click('#policy button[type=submit]');
    await message(page, /Set up and sign in with an accepted factor/);
    // So: the Account page, an authenticator app, then sign in again with it.
    await page.click('header >> text=Account');
    await page.click('#totp-start');
    const secret = ((await page.textContent('#totp-secret')) ?? '').trim();
    await page.fill('#totp-code', totp(base32Decode(secret), clock.now()));
    await page.click('#totp-confirm button[type=submit]');
    await page.locator('#new-recovery-codes li').first().waitFor();
    await page.click('#logout button');
    await page.waitForURL('**/login');
    clock.advance(30_000);
    await page.fill('#email', 'ada@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('#login button[type=submit]');
    await page.locator('#second-factor:not([hidden])').waitFor();
    await page.fill('#code', totp(base32Decode(secret), clock.now()));
    await page.click('#second-factor button[type=submit]');
    await page.waitForURL('**/console');
    await page.goto(`/console#/org/${orgId}/policy`);
    await page.check('#policy-mfa');
    await page.click('#policy button[type=submit]');
    await message(page, /policy is saved/);
    await screenshot(page, 'security-policy');
    ada = await cookieOf(admin.context);
    const policy = await app.json<{ mfa_required: boolean }>(ada, `${base}/security-policy`);
    assert.equal(policy.mfa_required, true);

    // An API key, shown once, used against the API.
    await page.click('nav.tabs >> text=API keys');
    await page.fill('#key-name', 'deploy bot');
    await page.selectOption('#key-role', 'viewer');
    await page.click('#create-key button[type=submit]');
    const secretKey = ((await page.locator('#new-key-secret').textContent()) ?? '').trim();
    assert.match(secretKey, /^prk_/);
    await screenshot(page, 'api-key-shown-once');
    await axe(page, 'a new API key');
    const used = await t.inject({ method: 'GET', url: `${base}/projects`, headers: { authorization: `Bearer ${secretKey}` } });
    assert.equal(used.statusCode, 200, used.body);
    assert.deepEqual(used.json<{ items: { name: string }[] }>().items.map((p) => p.name), ['Payments']);
    await page.click('#new-key button >> text=I have stored it');
    await page.locator('#api-keys td', { hasText: 'deploy bot' }).waitFor();
    assert.equal(await page.locator('#new-key-secret').count(), 0, 'the key is not shown again');

    // The audit log, and an event's inclusion proof verified in the browser.
    await t.app.services.audit.sequencer.drain();
    await page.click('nav.tabs >> text=Audit log');
    const row = page.locator('#audit-events tbody tr', { hasText: 'api_key.created' }).first();
    await row.waitFor();
    await row.locator('summary').click();
    const button = row.locator('.verify-proof');
    const eventId = await button.getAttribute('data-event');
    assert.ok(eventId);
    await button.click();
    const verdict = page.locator(`#proof-${eventId} .proof-verdict`);
    await verdict.waitFor({ timeout: 30_000 });
    assert.match((await verdict.textContent()) ?? '', /^Verified: event \d+ is in the log's signed tree of \d+ events\.$/);
    await verdict.evaluate((element) => {
      element.scrollIntoView({ block: 'start', inline: 'end' });
    });
    await screenshot(page, 'audit-proof-verified');
    await axe(page, 'the audit log with a verified proof');
    const events = await app.json<{ items: { id: string; action: string }[] }>(ada, `${base}/audit/events?action=api_key.created`);
    assert.ok(events.items.some((e) => e.id === eventId));
    await admin.done();
  });
});
