// The console's directory sync (SCIM), email change and application pages in a real browser
// (Debian's chromium, driven by playwright-core), each worked by keyboard and checked through the
// API: a directory created (its token shown once and used by an identity provider over SCIM, the
// provisioned counts shown), rotated (the old token refused) and deleted; an email change confirmed
// from the mailed link (a real SMTP server receives it); an application registered with post-logout
// redirect URIs, scopes and a back-channel logout URI. XSS canaries in every user-controlled string.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createOrg, memberWithRole, sessionWith, type Member } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { TEST_PASSWORD } from '../support/app.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { linkToken, mailTo, startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, tabTo, type BrowserApp } from '../support/browser.ts';
import { testDns, type TestDns } from '../../src/modules/sso/sso-test-fixture.ts';
import { proveDomain, scim } from '../../src/modules/scim/scim-test-fixture.ts';
import { chooseByKeyboard, press, setCheck, typeInto } from './keyboard.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

peerSuite('console directory sync, email change and applications in a real browser (AUTH-4, AC-1)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let t: TestApp;
  let dns: TestDns;
  let smtp: TestSmtp;
  const json = <T>(who: Member, url: string) => app.json<T>(who, url);
  const axe = async (page: Page, where: string) => {
    assert.deepEqual(await axeViolations(page), [], `axe on ${where}`);
  };

  before(async () => {
    dns = await testDns();
    smtp = await startTestSmtp();
    app = await startBrowserApp({ env: { ...smtp.env, PARAPET_SSO_DNS_SERVERS: dns.server } });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
    await smtp?.close();
    await dns?.close();
  });

  it('AUTH-4: an administrator creates a SCIM directory by keyboard, its token is shown once and provisions a user and a group, the counts show; rotating refuses the old token; deleting removes it; a Viewer sees no tab and the API refuses it', async () => {
    const org = await createOrg(t, 'console-scim');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const viewer = await memberWithRole(t, org, 'viewer');
    const domain = `scim-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await proveDomain(t, dns, org, domain);
    const url = `/api/v1/organizations/${org.orgId}/scim/directories`;
    type Directory = { id: string; name: string; default_role: string; has_token: boolean; provisioned: { users: number; groups: number } };
    const directories = async () => (await json<{ items: Directory[] }>(admin, url)).items;

    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/directories`);
    await page.locator('#create-directory').waitFor();
    await axe(page, 'the Directory sync tab');
    await typeInto(page, '#directory-name', `Okta ${CANARY}`);
    await chooseByKeyboard(page, '#directory-role', 'security_analyst');
    await press(page, '#create-directory button[type=submit]');
    const token = ((await page.locator('#new-directory-token').textContent()) ?? '').trim();
    assert.match(token, /^pscim_/);
    assert.equal(await page.locator('#directory-token button', { hasText: 'Copy the token' }).count(), 1);
    const [created] = await directories();
    assert.ok(created);
    assert.deepEqual([created.name, created.default_role, created.has_token, created.provisioned], [`Okta ${CANARY}`, 'security_analyst', true, { users: 0, groups: 0 }]);
    assert.equal(((await page.locator('#new-directory-url').textContent()) ?? '').trim(), `${app.baseURL}/scim/v2/${created.id}`);
    await axe(page, 'the Directory sync tab with a token shown');
    await screenshot(page, 'directories');

    // The identity provider uses the token it was shown.
    const users = `/scim/v2/${created.id}/Users`;
    const provisioned = await scim(t, token, 'POST', users, { schemas: [USER], userName: `ada@${domain}`, active: true });
    assert.equal(provisioned.statusCode, 201, provisioned.body);
    const group = await scim(t, token, 'POST', `/scim/v2/${created.id}/Groups`, { schemas: [GROUP], displayName: `Engineering ${CANARY}` });
    assert.equal(group.statusCode, 201, group.body);
    await press(page, '#directory-token-done');
    await page.locator(`.provisioned[data-directory="${created.id}"]`, { hasText: '1 user(s), 1 group(s)' }).waitFor();
    assert.equal(await page.locator(`text=${token}`).count(), 0, 'the token is not shown again');
    await page.locator('#directories td', { hasText: `Okta ${CANARY}` }).waitFor();

    // Members of a directory group receive a role.
    await typeInto(page, `#mapping-group-${created.id}`, `Engineering ${CANARY}`);
    await chooseByKeyboard(page, `#mapping-role-${created.id}`, 'auditor');
    await press(page, `form.add-mapping[data-directory="${created.id}"] button[type=submit]`);
    await message(page, /The group is mapped/);
    const mappings = async () => (await json<{ items: { id: string; group_name: string; role: string }[] }>(admin, `${url}/${created.id}/group-roles`)).items;
    const [mapping] = await mappings();
    assert.deepEqual([mapping?.group_name, mapping?.role], [`Engineering ${CANARY}`, 'auditor']);
    await page.locator(`.directory-mappings[data-directory="${created.id}"] td`, { hasText: `Engineering ${CANARY}` }).waitFor();
    await axe(page, 'the Directory sync tab with a group mapping');
    await press(page, `.remove-mapping[data-mapping="${mapping?.id}"]`);
    await message(page, /The mapping is removed/);
    assert.deepEqual(await mappings(), []);

    await press(page, `.rotate-directory[data-directory="${created.id}"]`);
    await page.locator('#directory-token', { hasText: 'New token' }).waitFor();
    const rotated = ((await page.locator('#new-directory-token').textContent()) ?? '').trim();
    assert.notEqual(rotated, token);
    assert.equal((await scim(t, token, 'GET', users)).statusCode, 401, 'the old token stops at once');
    assert.equal((await scim(t, rotated, 'GET', users)).statusCode, 200, 'the new token works');

    await press(page, '#directory-token-done');
    await press(page, `.delete-directory[data-directory="${created.id}"]`);
    await message(page, /The directory is deleted/);
    assert.deepEqual(await directories(), []);
    assert.equal((await scim(t, rotated, 'GET', users)).statusCode, 401);
    await done();

    const seen = await app.openPage(viewer);
    await seen.page.goto(`/console#/org/${org.orgId}/projects`);
    await seen.page.locator('nav.tabs a').first().waitFor();
    assert.equal(await seen.page.locator('nav.tabs a', { hasText: 'Directory sync' }).count(), 0);
    const status = await seen.page.evaluate(async (u) => (await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', default_role: 'viewer' }) })).status, url);
    assert.equal(status, 403);
    await seen.done();
  });

  it('a member changes their email address on the account page by keyboard (a wrong password is refused in place), confirms it from the link mailed to the new address, and the API answers the new address', async () => {
    const org = await createOrg(t, 'console-email');
    const joined = await memberWithRole(t, org, 'viewer');
    const renamed = await t.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { cookie: joined.cookie }, payload: { display_name: `Eve ${CANARY}` } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    // A session begun after the rename carries the new name (the page header shows it).
    const member = await sessionWith(t, joined.userId, ['pwd']);
    const before = await json<{ user: { email: string } }>(member, '/api/v1/auth/session');
    const next = `moved-${crypto.randomUUID()}@example.com`;

    const { page, done } = await app.openPage(member);
    await page.goto('/console#/account');
    await page.locator('#email-change').waitFor();
    await page.locator('#who', { hasText: `Eve ${CANARY}` }).waitFor();
    await axe(page, 'the account page with the email change form');
    await typeInto(page, '#new-email', next);
    await typeInto(page, '#email-change-password', 'not the password at all');
    await press(page, '#email-change button[type=submit]');
    await message(page, /current password is incorrect/);
    assert.match(page.url(), /\/console#\/account$/, 'a wrong password is a refusal, not a sign-out');
    await page.fill('#email-change-password', '');
    await typeInto(page, '#email-change-password', TEST_PASSWORD);
    await press(page, '#email-change button[type=submit]');
    await message(page, /confirmation link is on its way/);
    await screenshot(page, 'account-email-change');
    assert.equal((await json<{ user: { email: string } }>(member, '/api/v1/auth/session')).user.email, before.user.email, 'nothing changes before the link is used');

    const mail = await mailTo(t, smtp, next, /Confirm your new email/);
    await page.goto(`/confirm-email#token=${linkToken(mail)}`);
    await axe(page, 'the confirm-email page');
    await press(page, '#submit');
    await page.locator('#intro', { hasText: 'Your address was changed.' }).waitFor({ timeout: 30_000 });
    await done();
    // The account signs in with the new address now, and no longer with the old one.
    const signedIn = await json<{ user: { id: string; email: string } }>({ userId: member.userId, cookie: await t.login(next, TEST_PASSWORD) }, '/api/v1/auth/session');
    assert.deepEqual([signedIn.user.id, signedIn.user.email], [member.userId, next]);
    const old = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: before.user.email, password: TEST_PASSWORD } });
    assert.equal(old.statusCode, 401, old.body);
  });

  it('an administrator registers an application with post-logout redirect URIs, chosen scopes and a back-channel logout URI by keyboard; the API holds them and the list shows them; a <script> name is shown as text', async () => {
    const org = await createOrg(t, 'console-app-fields');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const apps = `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${org.environmentId}/applications`;
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/applications`);
    await page.locator('#create-app').waitFor();
    await typeInto(page, '#app-name', `Portal ${CANARY}`);
    await chooseByKeyboard(page, '#app-type', 'public');
    await typeInto(page, '#app-redirects', 'https://portal.example.com/callback');
    await typeInto(page, '#app-logout-redirects', 'https://portal.example.com/bye');
    await page.keyboard.press('Enter');
    await page.keyboard.type('https://portal.example.com/signed-out');
    assert.equal(await page.isDisabled('#app-scope-openid'), true, 'openid is required');
    await setCheck(page, '#app-scope-offline_access', false);
    await setCheck(page, '#app-scope-organization', true);
    await typeInto(page, '#app-backchannel', 'https://portal.example.com/backchannel-logout');
    await axe(page, 'the Applications tab with the logout and scope fields');
    await press(page, '#create-app button[type=submit]');
    await page.locator('#new-app-id').waitFor();
    const clientId = ((await page.locator('#new-app-id').textContent()) ?? '').trim();
    const listed = await json<{ items: { client_id: string; name: string; post_logout_redirect_uris: string[]; scopes: string[]; backchannel_logout_uri: string | null }[] }>(admin, apps);
    assert.deepEqual(listed.items.map((a) => [a.client_id, a.name, a.post_logout_redirect_uris, [...a.scopes].sort(), a.backchannel_logout_uri]), [
      [clientId, `Portal ${CANARY}`, ['https://portal.example.com/bye', 'https://portal.example.com/signed-out'], ['email', 'openid', 'organization', 'profile'], 'https://portal.example.com/backchannel-logout'],
    ]);
    await press(page, '#new-app > button');
    const row = page.locator('#applications tr', { hasText: `Portal ${CANARY}` });
    await row.locator('.app-logout li', { hasText: 'https://portal.example.com/signed-out' }).waitFor();
    await row.locator('.app-logout dd', { hasText: 'https://portal.example.com/backchannel-logout' }).waitFor();
    await row.locator('td', { hasText: 'openid email profile organization' }).waitFor();
    await tabTo(page, `.delete-app[data-app="${clientId}"]`);
    await axe(page, 'the Applications tab listing the logout fields and scopes');
    await screenshot(page, 'applications-logout-scopes');
    await done();
  });
});
