// The platform page for platform administrators, in a real browser: deleting an account with its
// grace period (and cancelling it), operator access to an organization — a just-in-time request
// its approvers decide on, and break-glass with its warnings (AC-4, AC-6) — and the platform's
// retention periods and root key status. Each result is checked through the API; axe-core on the page; the request for
// access is made by keyboard alone; a tenant administrator sees no Platform link and the API
// refuses them the page's reads.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createOrg, sessionWith, signUp, type Member } from '../support/access.ts';
import { TEST_PASSWORD } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, message, MFA, screenshot, startBrowserApp, tabTo, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';

peerSuite('the console\'s platform page in a real browser (AC-4, AC-6, DATA-1, DATA-3)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let operator: Member;

  before(async () => {
    app = await startBrowserApp();
    operator = await signUp(app.t, 'platform-operator', { platformAdmin: true });
  });
  after(async () => {
    await app?.close();
  });

  const signIn = (email: string) => app.t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD } });

  it('DATA-3: a platform administrator deletes an account (refused sign-in during the grace period) and cancels the deletion; the API agrees', async () => {
    const email = `leaver-${crypto.randomUUID()}@example.com`;
    const leaver = await app.t.createUser(email, TEST_PASSWORD);
    assert.equal((await signIn(email)).statusCode, 200);
    const { page, done } = await app.openPage(operator);
    await page.goto('/console#/platform');
    await page.fill('#user-q', email);
    await page.click('#user-search button[type=submit]');
    await page.locator(`.user-delete[data-user="${leaver.id}"]`).click();
    await message(page, /will be deleted on .* unless the deletion is cancelled/);
    await page.locator(`.user-cancel-deletion[data-user="${leaver.id}"]`).waitFor();
    assert.notEqual((await signIn(email)).statusCode, 200, 'an account pending deletion cannot sign in');
    assert.deepEqual(await axeViolations(page), []);

    await page.click(`.user-cancel-deletion[data-user="${leaver.id}"]`);
    await message(page, /deletion of .* is cancelled/);
    await page.locator(`.user-delete[data-user="${leaver.id}"]`).waitFor();
    assert.equal((await signIn(email)).statusCode, 200, 'the cancelled deletion leaves the account usable');
    await done();
  });

  it('AC-4, AC-6: an operator requests access to an organization by keyboard (pending for its approvers), then breaks the glass after the warning (granted at once, the organization alerted); the API agrees', async () => {
    const org = await createOrg(app.t, 'platform-jit');
    const admin = await sessionWith(app.t, org.admin.userId, MFA);
    const { page, done } = await app.openPage(operator);
    await page.goto('/console#/platform');
    await page.locator('#operator-access').waitFor();

    // By keyboard alone: organization id, role, reason, duration, submit.
    await page.locator('h1').focus();
    await tabTo(page, '#operator-org');
    await page.keyboard.type(org.orgId);
    await tabTo(page, '#operator-role');
    await page.keyboard.press('ArrowDown'); // Security Analyst -> Viewer
    await tabTo(page, '#operator-reason');
    await page.keyboard.type('Support case 4821: the customer asked us to look at their audit log');
    await tabTo(page, '#operator-duration');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('30');
    await tabTo(page, '#operator-access button[type=submit]');
    await page.keyboard.press('Enter');
    await page.locator('#operator-access-pending').waitFor();
    type Request = { id: string; status: string; operator: boolean; break_glass: boolean; role: string; reason: string; principal_id: string };
    const requests = async () => (await app.json<{ items: Request[] }>(admin, `/api/v1/organizations/${org.orgId}/access-requests`)).items;
    const pending = (await requests()).find((r) => r.principal_id === operator.userId);
    assert.ok(pending);
    assert.deepEqual([pending.status, pending.operator, pending.break_glass, pending.role], ['pending', true, false, 'viewer']);
    assert.match(pending.reason, /Support case 4821/);

    // Break-glass: the warning shows once the box is ticked, a dialog asks once more.
    assert.equal(await page.locator('#break-glass-warning').isVisible(), false);
    await page.fill('#operator-org', org.orgId);
    await page.selectOption('#operator-role', 'security_analyst');
    await page.fill('#operator-reason', 'Incident 77: the customer is down and nobody can approve');
    await page.fill('#operator-duration', '30');
    await page.check('#operator-break-glass');
    await page.locator('#break-glass-warning', { hasText: 'high-severity security alert' }).waitFor();
    await page.locator('#operator-access').scrollIntoViewIfNeeded();
    await screenshot(page, 'platform-break-glass');
    assert.deepEqual(await axeViolations(page), []);
    await page.click('#operator-access button[type=submit]');
    await page.locator('#operator-access-granted', { hasText: 'Break-glass access granted until' }).waitFor();
    const glass = (await requests()).find((r) => r.break_glass);
    assert.ok(glass);
    assert.deepEqual([glass.status, glass.principal_id, glass.role], ['approved', operator.userId, 'security_analyst']);
    const alerts = await app.json<{ items: { kind: string; actor_id: string }[] }>(admin, `/api/v1/organizations/${org.orgId}/security-alerts`);
    assert.ok(alerts.items.some((a) => a.kind === 'break_glass' && a.actor_id === operator.userId), 'the organization is alerted');
    await done();
  });

  it('DATA-1: the platform\'s retention periods and the root key\'s status are listed as the API gives them; a tenant administrator sees no Platform link and the API refuses them', async () => {
    const { page, done } = await app.openPage(operator);
    await page.goto('/console#/platform');
    await page.locator('#platform-retention').waitFor();
    const api = await app.json<{ items: { type: string; days: number; scope: string }[] }>(operator, '/api/v1/platform/retention');
    assert.ok(api.items.length > 0);
    const rows = await page.locator('#platform-retention tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(rows.map((r) => [r[0], Number(r[2])]), api.items.map((p) => [p.type, p.days]));
    // The root key's status, as the API gives it (never key material nor the key's location).
    const keys = await app.json<{ primary_root: string; root_versions: { version: string; primary: boolean }[] } & Record<string, unknown>>(operator, '/api/v1/platform/keys');
    assert.equal(keys['location'], undefined);
    assert.deepEqual(await page.locator('#root-keys tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('td')?.textContent ?? '', tr.querySelectorAll('td')[2]?.textContent ?? ''])), keys.root_versions.map((v) => [v.version, v.primary ? 'Yes' : 'No']));
    await page.locator('#key-status code', { hasText: keys.primary_root }).waitFor();
    await screenshot(page, 'platform');
    assert.deepEqual(await axeViolations(page), []);
    await done();

    const org = await createOrg(app.t, 'platform-not-operator');
    const tenantAdmin = await app.openPage(org.admin);
    await tenantAdmin.page.goto('/console');
    await tenantAdmin.page.locator('#orgs').waitFor();
    assert.equal(await tenantAdmin.page.locator('#nav-platform').isVisible(), false);
    const statuses = await tenantAdmin.page.evaluate(async () => Promise.all(['/api/v1/platform/retention', '/api/v1/platform/keys', '/api/v1/platform/users'].map(async (url) => (await fetch(url)).status)));
    assert.deepEqual(statuses, [404, 404, 403]);
    await tenantAdmin.done();
  });
});
