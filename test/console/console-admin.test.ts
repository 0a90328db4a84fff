// The console after sign-in in a real browser (Debian's chromium, driven by playwright-core): a
// tenant administrator's flows, what a Viewer sees (and that the API refuses it anyway), the
// account page, "Forgot password?", and the platform page. Each flow is clicked through as a person
// would and its result checked through the API. Sessions are made directly (the sign-in itself is
// covered by console-sign-in.test.ts) and handed to the browser as its session cookie.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { createOrg, memberWithRole, OPEN_POLICY, sessionWith, signUp, type Member } from '../support/access.ts';
import { TEST_PASSWORD, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { BROWSER_SKIP, CANARY, message, MFA, startBrowserApp, type BrowserApp } from '../support/browser.ts';

peerSuite('console administration and account pages in a real browser (AC-1, AUTH-2, AUTH-5, AUTH-7, AUTH-9, AUD-4, DATA-2)', BROWSER_SKIP, () => {
  const clock = manualClock(new Date());
  let app: BrowserApp;
  let t: TestApp;
  let browser: Browser;
  let baseURL: string;
  const openPage = (who?: Member) => app.openPage(who);
  const json = <T>(who: Member, url: string) => app.json<T>(who, url);

  before(async () => {
    app = await startBrowserApp({ clock });
    ({ t, browser, baseURL } = app);
  });
  after(async () => {
    await app?.close();
  });

  it('AC-1: a tenant administrator creates an organization, a project and an environment; the API has them; a <script> name is shown as text', async () => {
    const admin = await signUp(t, 'console-create');
    const { page, done } = await openPage(admin);
    await page.goto('/console');
    await page.fill('#name', `Acme ${CANARY}`);
    await page.click('#create-org button[type=submit]');
    await page.locator('#org-name', { hasText: `Acme ${CANARY}` }).waitFor();
    const orgId = new URL(page.url()).hash.split('/')[2] ?? '';
    await page.click('nav.tabs >> text=Projects');
    await page.fill('#project-name', 'Payments');
    await page.click('#create-project button[type=submit]');
    await page.locator('.project h3', { hasText: 'Payments' }).waitFor();
    await page.fill('.create-env input[name=name]', 'production');
    await page.selectOption('.create-env select', 'production');
    await page.click('.create-env button[type=submit]');
    await page.locator('.environments li', { hasText: 'production (production)' }).waitFor();
    const projects = await json<{ items: { id: string; name: string }[] }>(admin, `/api/v1/organizations/${orgId}/projects`);
    assert.deepEqual(projects.items.map((p) => p.name), ['Payments']);
    const envs = await json<{ items: { name: string; kind: string }[] }>(admin, `/api/v1/organizations/${orgId}/projects/${projects.items[0]?.id ?? ''}/environments`);
    assert.deepEqual(envs.items.map((e) => [e.name, e.kind]), [['production', 'production']]);
    // Back on the list, the name is text too.
    await page.click('header >> text=Organizations');
    await page.locator('#orgs a', { hasText: CANARY }).waitFor();
    await done();
  });

  it('AC-1: members are listed with roles, second factor and last sign-in; an administrator invites, changes a role and removes a member; the API agrees', async () => {
    const org = await createOrg(t, 'console-members');
    const member = await memberWithRole(t, org, 'viewer');
    const renamed = await t.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { cookie: member.cookie }, payload: { display_name: `Mallory ${CANARY}` } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/members`);
    const row = page.locator('#members tr', { hasText: `Mallory ${CANARY}` });
    await row.waitFor();
    // Roles, second factor, last sign-in.
    assert.deepEqual((await row.locator('td').allTextContents()).slice(2, 4), ['Viewer', 'No']);
    assert.notEqual(await row.locator('td').nth(4).textContent(), '—');

    await page.selectOption(`form.change-role[data-user="${member.userId}"] select`, 'security_analyst');
    await page.click(`form.change-role[data-user="${member.userId}"] button`);
    await page.locator('#members tr', { hasText: 'Mallory' }).locator('td:nth-child(3)', { hasText: /^Security Analyst$/ }).waitFor();
    const bindings = await json<{ items: { role: string }[] }>(admin, `/api/v1/organizations/${org.orgId}/bindings?principal_id=${member.userId}`);
    assert.deepEqual(bindings.items.map((b) => b.role), ['security_analyst']);

    await page.fill('#invite-email', 'newcomer@example.com');
    await page.selectOption('#invite-role', 'auditor');
    await page.click('#invite button[type=submit]');
    await page.locator('#invitations tr', { hasText: 'newcomer@example.com' }).waitFor();
    const invitations = await json<{ items: { email: string; role: string; status: string }[] }>(admin, `/api/v1/organizations/${org.orgId}/invitations`);
    assert.deepEqual(invitations.items.map((i) => [i.email, i.role, i.status]), [['newcomer@example.com', 'auditor', 'pending']]);

    await page.click(`.remove-member[data-user="${member.userId}"]`);
    await message(page, /Removed: 1 role/);
    assert.equal(await page.locator('#members tr', { hasText: 'Mallory' }).count(), 0);
    const gone = await json<{ member: boolean }>(admin, `/api/v1/organizations/${org.orgId}/members/${member.userId}`).catch(() => ({ member: false }));
    assert.equal(gone.member, false);
    await done();
  });

  it('AUTH-7: an API key is shown once with a copy button and works; revoking it in the console stops it', async () => {
    const org = await createOrg(t, 'console-keys');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/api-keys`);
    await page.fill('#key-name', 'CI deploy');
    await page.selectOption('#key-role', 'viewer');
    await page.click('#create-key button[type=submit]');
    const key = ((await page.locator('#new-key-secret').textContent()) ?? '').trim();
    assert.match(key, /^prk_live_/);
    assert.equal(await page.locator('#new-key button', { hasText: 'Copy the key' }).count(), 1);
    const used = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { authorization: `Bearer ${key}` } });
    assert.equal(used.statusCode, 200, used.body);
    await page.click('#new-key button:has-text("I have stored it")');
    // The list never shows the secret again.
    await page.locator('#api-keys tr', { hasText: 'CI deploy' }).waitFor();
    assert.equal(await page.locator(`text=${key}`).count(), 0);
    await page.click('#api-keys .revoke-key');
    await page.locator('#api-keys tr', { hasText: 'revoked' }).waitFor();
    const refused = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { authorization: `Bearer ${key}` } });
    assert.equal(refused.statusCode, 401);
    await done();
  });

  it('AUTH-9: requiring MFA from a password-only session is refused with the lock-out guard explained; from a session with a second factor it is saved', async () => {
    const org = await createOrg(t, 'console-policy');
    const passwordOnly = await sessionWith(t, org.admin.userId, ['pwd']);
    let { page, done } = await openPage(passwordOnly);
    await page.goto(`/console#/org/${org.orgId}/policy`);
    await page.check('#policy-mfa');
    await page.fill('#policy-ips', '127.0.0.0/8\n::1/128');
    await page.click('#policy button[type=submit]');
    await message(page, /would refuse your own session.*Saving it would refuse the session you are using now/);
    assert.doesNotMatch((await page.textContent('#message')) ?? '', /[{}]|policy_would_lock_you_out/);
    await done();

    const withMfa = await sessionWith(t, org.admin.userId, MFA);
    ({ page, done } = await openPage(withMfa));
    await page.goto(`/console#/org/${org.orgId}/policy`);
    await page.check('#policy-mfa');
    await page.uncheck('#policy-method-webauthn');
    await page.fill('#policy-idle', '30');
    await page.click('#policy button[type=submit]');
    await message(page, /policy is saved/);
    const policy = await json<typeof OPEN_POLICY>(withMfa, `/api/v1/organizations/${org.orgId}/security-policy`);
    assert.deepEqual([policy.mfa_required, policy.allowed_mfa_methods, policy.session_idle_minutes], [true, ['totp'], 30]);
    await done();
  });

  it('AUD-4: the audit log lists the organization’s events, filters them by action and opens an event’s detail', async () => {
    const org = await createOrg(t, 'console-audit');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    await t.app.services.audit.sequencer.drain();
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/audit`);
    await page.locator('#audit-events tbody tr', { hasText: 'organization.created' }).first().waitFor();
    await page.fill('#audit-action', 'environment.');
    await page.click('#audit-filters button[type=submit]');
    await page.locator('#audit-events tbody tr', { hasText: 'environment.create' }).first().waitFor();
    const actions = await page.locator('#audit-events tbody tr td:nth-child(2)').allTextContents();
    assert.ok(actions.length > 0 && actions.every((a) => a.startsWith('environment.')), actions.join());
    await page.locator('#audit-events details summary').first().click();
    await page.locator('#audit-events dl.event-detail dt', { hasText: 'Event id' }).first().waitFor();
    await done();
  });

  it('AC-1: a Viewer sees no administrative controls, and the API refuses those actions anyway', async () => {
    const org = await createOrg(t, 'console-viewer');
    const viewer = await memberWithRole(t, org, 'viewer');
    const { page, done } = await openPage(viewer);
    await page.goto(`/console#/org/${org.orgId}/projects`);
    await page.locator('.project h3', { hasText: 'Project console-viewer' }).waitFor();
    const tabs = await page.locator('nav.tabs a').allTextContents();
    // No Applications tab: a Viewer holds no applications.read (issue 17's permissions).
    assert.deepEqual(tabs, ['Settings', 'Projects', 'Members', 'Security policy', 'Request access', 'Data and deletion']);
    assert.equal(await page.locator('#create-project, .create-env').count(), 0);
    await page.click('nav.tabs >> text=Members');
    await page.locator('#members').waitFor();
    assert.equal(await page.locator('#invite, .remove-member, .change-role').count(), 0);
    await page.click('nav.tabs >> text=Security policy');
    await page.locator('#policy').waitFor();
    assert.equal(await page.locator('#policy button[type=submit]').count(), 0);
    assert.equal(await page.isDisabled('#policy-mfa'), true);
    await page.click('nav.tabs >> text=Settings');
    assert.equal(await page.locator('#rename-org').count(), 0);
    // The hidden controls' requests, sent from the Viewer's own browser session, are refused.
    const statuses = await page.evaluate(async (orgId) => {
      const send = async (method: string, url: string, body: unknown) => (await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
      return [
        await send('POST', `/api/v1/organizations/${orgId}/projects`, { name: 'x' }),
        await send('POST', `/api/v1/organizations/${orgId}/invitations`, { email: 'a@example.com', role: 'viewer' }),
        await send('PUT', `/api/v1/organizations/${orgId}/security-policy`, { mfa_required: false, allowed_mfa_methods: ['totp'], session_idle_minutes: null, session_absolute_hours: null, ip_allowlist: [] }),
        await send('POST', `/api/v1/organizations/${orgId}/api-keys`, { name: 'x', role: 'viewer' }),
        await send('PATCH', `/api/v1/organizations/${orgId}`, { name: 'x' }),
      ];
    }, org.orgId);
    assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
    await done();
  });

  it('AUTH-2: a Viewer refused with mfa_required is told to set up a second factor on the account page', async () => {
    const org = await createOrg(t, 'console-mfa-required');
    const viewer = await memberWithRole(t, org, 'viewer');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const put = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${org.orgId}/security-policy`, headers: { cookie: admin.cookie }, payload: { ...OPEN_POLICY, mfa_required: true } });
    assert.equal(put.statusCode, 200, put.body);
    const { page, done } = await openPage(viewer);
    await page.goto(`/console#/org/${org.orgId}`);
    const refusal = (await page.locator('#refusal').textContent()) ?? '';
    assert.match(refusal, /^This requires a session authenticated with a second factor\. .*Account page/);
    assert.doesNotMatch(refusal, /[{}]|mfa_required/);
    await done();
  });

  it('AUTH-2: on the account page a user sets up an authenticator app from a QR code, stores recovery codes, and makes new ones', async () => {
    const user = await signUp(t, 'console-totp');
    const { page, done } = await openPage(user);
    await page.goto('/console#/account');
    await page.click('#totp-start');
    const src = (await page.getAttribute('#totp-qr', 'src')) ?? '';
    assert.match(src, /^data:image\/svg\+xml;charset=utf-8,/);
    const svg = decodeURIComponent(src.slice(src.indexOf(',') + 1));
    assert.match(svg, /^<svg[^>]*viewBox/);
    assert.doesNotMatch(svg, /<script|on\w+=/i);
    assert.ok(await page.getAttribute('#totp-qr', 'alt'));
    const secret = ((await page.textContent('#totp-secret')) ?? '').trim();
    await page.fill('#totp-code', totp(base32Decode(secret), clock.now()));
    await page.click('#totp-confirm button[type=submit]');
    const codes = page.locator('#new-recovery-codes li');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    const status = await json<{ methods: string[]; recovery_codes_remaining: number }>(user, '/api/v1/auth/mfa');
    assert.ok(status.methods.includes('totp'));
    assert.equal(status.recovery_codes_remaining, 10);
    clock.advance(30_000);
    await page.reload();
    await page.click('#recovery-regenerate');
    await page.locator('#new-recovery-codes li').first().waitFor();
    const fresh = await page.locator('#new-recovery-codes li').allTextContents();
    assert.equal(fresh.length, 10);
    assert.equal(await page.locator('#new-recovery-codes a[download]').count(), 1);
    await done();
  });

  it('AUTH-5, DATA-2: on the account page a user ends another session, changes the password, downloads the export and deletes the account', async () => {
    const email = `console-account-${crypto.randomUUID()}@example.com`;
    const created = await t.createUser(email, TEST_PASSWORD);
    const other = await t.login(email, TEST_PASSWORD);
    const user = { userId: created.id, cookie: await t.login(email, TEST_PASSWORD) };
    const { page, done } = await openPage(user);
    await page.goto('/console#/account');
    await page.locator('#sessions .end-session').first().waitFor();
    await page.click('#sessions .end-session');
    // Wait for the redrawn page (no other session left to end): filling the form before the redraw
    // would type into fields the redraw then replaces.
    await page.locator('#sessions .end-session').waitFor({ state: 'detached' });
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: other } })).statusCode, 401);

    await page.fill('#current-password', TEST_PASSWORD);
    await page.fill('#new-password', 'an even longer fine passphrase');
    await page.fill('#repeat-password', 'an even longer fine passphrase');
    await page.click('#password-change button[type=submit]');
    // Whatever the answer, it is shown: a refusal's words appear in the failure.
    await page.locator('#message:not(:empty)').waitFor({ timeout: 30_000 });
    assert.match((await page.textContent('#message')) ?? '', /password is changed/);
    await t.login(email, 'an even longer fine passphrase');

    const href = (await page.getAttribute('#export-link', 'href')) ?? '';
    const exported = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, type: response.headers.get('content-type') };
    }, href);
    assert.equal(exported.status, 200);
    assert.match(exported.type ?? '', /json/);

    await page.click('#delete-account');
    await page.locator('h1', { hasText: 'Your account will be deleted' }).waitFor();
    const login = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'an even longer fine passphrase' } });
    assert.equal(login.statusCode, 401);
    await done();
  });

  it('AUTH-1: "Forgot password?" on the sign-in page asks for the address and says a link is on its way, the same for any address', async () => {
    const { page, done } = await openPage();
    await page.goto('/login');
    await page.click('#forgot');
    await page.fill('#forgot-email', 'nobody-here@example.com');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/password/reset/request')), page.click('#forgot-password button[type=submit]')]);
    assert.equal(answer.status(), 202);
    await page.locator('#notice', { hasText: 'If this address has an account' }).waitFor();
    assert.equal(await page.isVisible('#login'), true);
    await done();
  });

  it('a platform administrator searches accounts, disables and enables one, and reads the platform log; others do not see the platform page', async () => {
    const operator = await signUp(t, 'console-platform', { platformAdmin: true });
    const email = `console-target-${crypto.randomUUID()}@example.com`;
    const created = await t.createUser(email, TEST_PASSWORD);
    const target = { userId: created.id, cookie: await t.login(email, TEST_PASSWORD) };
    await t.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { cookie: target.cookie }, payload: { display_name: `Target ${CANARY}` } });
    const { page, done } = await openPage(operator);
    await page.goto('/console#/platform');
    await page.fill('#user-q', email.slice(0, 30));
    await page.click('#user-search button[type=submit]');
    const row = page.locator('#users tbody tr', { hasText: email });
    await row.locator('td', { hasText: `Target ${CANARY}` }).waitFor();
    assert.equal(await page.locator('#users tbody tr').count(), 1);
    await page.click(`.user-disable[data-user="${target.userId}"]`);
    await message(page, /is disabled and their sessions ended/);
    await row.locator('td', { hasText: /^Disabled / }).waitFor();
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: target.cookie } })).statusCode, 401);
    await t.app.services.audit.sequencer.drain();
    await page.fill('#audit-action', 'user.');
    await page.click('#audit-filters button[type=submit]');
    await page.locator('#audit-events tbody tr', { hasText: 'user.disabled' }).first().waitFor();
    await page.click(`.user-enable[data-user="${target.userId}"]`);
    await message(page, /is enabled again/);
    await t.login(email, TEST_PASSWORD);
    await done();

    const plain = await openPage(await signUp(t, 'console-plain'));
    await plain.page.goto('/console#/platform');
    await plain.page.locator('h1', { hasText: 'Organizations' }).waitFor();
    assert.equal(await plain.page.isHidden('#nav-platform'), true);
    const listed = await plain.page.evaluate(async () => (await fetch('/api/v1/platform/users')).status);
    assert.equal(listed, 403);
    await plain.done();
  });

  it('CSRF and clickjacking: a page on another origin can neither post to the console’s API with the session cookie nor frame the console', async () => {
    const admin = await signUp(t, 'console-csrf');
    const port = await freePort();
    // The attacker's page: same site (localhost, another port), so the SameSite=Lax cookie alone would not stop it.
    const attacker = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><body>
<form id="f" method="POST" action="${baseURL}/api/v1/organizations" enctype="text/plain"><input name='{"name":"csrf-form","x":"' value='"}'></form>
<iframe id="frame" src="${baseURL}/console" width="800" height="600"></iframe>
<script>
fetch('${baseURL}/api/v1/organizations', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'csrf-fetch' }) }).finally(() => document.getElementById('f').submit());
</script></body>`);
    });
    await new Promise<void>((resolve) => attacker.listen(port, '127.0.0.1', resolve));
    try {
      const context = await browser.newContext();
      await context.addCookies([{ name: 'parapet_session', value: admin.cookie.replace(/^parapet_session=/, ''), url: baseURL }]);
      const page = await context.newPage();
      const refused: number[] = [];
      page.on('response', (r) => {
        if (r.url().endsWith('/api/v1/organizations') && r.request().method() === 'POST') refused.push(r.status());
      });
      await page.goto(`http://localhost:${port}/`);
      await page.waitForURL(`${baseURL}/api/v1/organizations`);
      // The form's navigation always reports its answer; the no-cors fetch's may not be: every one seen is refused.
      assert.ok(refused.length >= 1 && refused.every((status) => status === 403), refused.join());
      assert.match((await page.textContent('body')) ?? '', /origin_mismatch/);
      await context.close();
      const framed = await browser.newContext();
      await framed.addCookies([{ name: 'parapet_session', value: admin.cookie.replace(/^parapet_session=/, ''), url: baseURL }]);
      const framing = await framed.newPage();
      const console_ = await framing.goto(`${baseURL}/console`);
      assert.match(console_?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
      assert.equal(console_?.headers()['x-frame-options'] ?? 'DENY', 'DENY');
      await framing.route(`http://localhost:${port}/`, (route) => route.fulfill({ contentType: 'text/html', body: `<iframe id="frame" src="${baseURL}/console"></iframe>` }));
      await framing.goto(`http://localhost:${port}/`);
      await framing.waitForTimeout(1000);
      const frame = framing.frames().find((f) => f !== framing.mainFrame());
      assert.ok(frame);
      assert.equal(await frame.locator('#who').count(), 0, 'the console rendered inside a cross-origin frame');
      await framed.close();
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
    const orgs = await json<{ items: { name: string }[] }>(admin, '/api/v1/organizations');
    assert.deepEqual(orgs.items.map((o) => o.name), []);
  });
});
