// The console's access pages in a real browser (Debian's chromium, driven by playwright-core):
// applications (OpenID Provider), custom roles, service accounts with OAuth clients, and approvals
// of access requests and risky writes; what a Viewer sees (and that the API refuses it anyway).
// Each flow is clicked through as a person would and its result checked through the API. Sessions
// are made directly and handed to the browser as its session cookie.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { manualClock } from '../../src/platform/clock.ts';
import { createOrg, memberWithRole, sessionWith, type Member } from '../support/access.ts';
import { allowRiskyWrites } from '../support/risky-writes.ts';
import type { TestApp } from '../support/app.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { BROWSER_SKIP, CANARY, message, MFA, startBrowserApp, type BrowserApp } from '../support/browser.ts';

peerSuite('console access pages in a real browser (AC-1, AC-2, AC-4, AC-7, AUTH-7, ENC-4)', BROWSER_SKIP, () => {
  const clock = manualClock(new Date());
  let app: BrowserApp;
  let t: TestApp;
  const openPage = (who?: Member) => app.openPage(who);
  const json = <T>(who: Member, url: string) => app.json<T>(who, url);

  before(async () => {
    app = await startBrowserApp({ clock });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
  });

  it('an administrator registers a confidential application, sees its secret once with a copy button, and deletes it; the API agrees; a <script> name is shown as text', async () => {
    const org = await createOrg(t, 'console-apps');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const apps = `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${org.environmentId}/applications`;
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/applications`);
    await page.locator('#applications').waitFor();
    await page.fill('#app-name', `Shop ${CANARY}`);
    await page.selectOption('#app-type', 'confidential');
    await page.check('#app-first-party');
    await page.fill('#app-redirects', 'https://shop.example.com/callback\nhttp://localhost:3000/callback');
    await page.click('#create-app button[type=submit]');
    const secret = ((await page.locator('#new-app-secret').textContent()) ?? '').trim();
    const clientId = ((await page.locator('#new-app-id').textContent()) ?? '').trim();
    assert.ok(secret.length >= 32, secret);
    assert.equal(await page.locator('#new-app button', { hasText: 'Copy the secret' }).count(), 1);
    const listed = await json<{ items: { client_id: string; name: string; client_type: string; first_party: boolean; redirect_uris: string[] }[] }>(admin, apps);
    assert.deepEqual(listed.items.map((a) => [a.client_id, a.name, a.client_type, a.first_party, a.redirect_uris]), [
      [clientId, `Shop ${CANARY}`, 'confidential', true, ['https://shop.example.com/callback', 'http://localhost:3000/callback']],
    ]);
    await page.click('#new-app button:has-text("Done")');
    await page.locator('#applications tr', { hasText: `Shop ${CANARY}` }).waitFor();
    assert.equal(await page.locator(`text=${secret}`).count(), 0);
    // A refused registration is shown as the problem's words.
    await page.fill('#app-name', 'Bad');
    await page.fill('#app-redirects', 'javascript:alert(1)');
    await page.click('#create-app button[type=submit]');
    await page.locator('#message.error').waitFor();
    assert.doesNotMatch((await page.textContent('#message')) ?? '', /[{}]/);
    await page.click(`#applications .delete-app[data-app="${clientId}"]`);
    await page.locator('#applications td', { hasText: 'None yet.' }).waitFor();
    assert.deepEqual((await json<{ items: unknown[] }>(admin, apps)).items, []);
    await done();
  });

  it('AC-2: an administrator creates a custom role from the permission catalogue, edits it and deletes it; the API agrees; a <script> name is shown as text', async () => {
    const org = await createOrg(t, 'console-roles');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const roles = `/api/v1/organizations/${org.orgId}/roles`;
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/roles`);
    await page.locator('#roles tr', { hasText: 'Tenant Admin' }).waitFor();
    await page.fill('#role-name', `Reader ${CANARY}`);
    await page.check('#new-role-audit-read');
    await page.check('#new-role-projects-read');
    await page.click('#create-role button[type=submit]');
    await message(page, /role is created/);
    const custom = () => json<{ items: { id: string; built_in: boolean; name: string; permissions: string[] }[] }>(admin, roles).then((r) => r.items.filter((role) => !role.built_in));
    const [created] = await custom();
    assert.ok(created);
    assert.deepEqual([created.name, [...created.permissions].sort()], [`Reader ${CANARY}`, ['audit.read', 'projects.read']]);
    await page.locator('#roles tr', { hasText: `Reader ${CANARY}` }).waitFor();

    await page.click(`details.edit-role[data-role="${created.id}"] summary`);
    await page.fill(`#role-name-${created.id}`, 'Reader');
    await page.uncheck(`#role-${created.id}-audit-read`);
    await page.click(`details.edit-role[data-role="${created.id}"] button[type=submit]`);
    await message(page, /role is saved/);
    const [edited] = await custom();
    assert.deepEqual([edited?.name, edited?.permissions], ['Reader', ['projects.read']]);

    await page.click(`.delete-role[data-role="${created.id}"]`);
    await page.locator('#roles tr', { hasText: 'Reader' }).first().waitFor({ state: 'detached' });
    assert.deepEqual(await custom(), []);
    await done();
  });

  it('AUTH-7: an administrator creates a service account with a role and an OAuth client whose secret is shown once and works at the token endpoint, then deletes both', async () => {
    const org = await createOrg(t, 'console-sa');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/service-accounts`);
    await page.fill('#account-name', `Deployer ${CANARY}`);
    await page.selectOption('#account-role', 'viewer');
    await page.click('#create-account button[type=submit]');
    await message(page, /Service account .* created/);
    const accounts = await json<{ items: { id: string; name: string }[] }>(admin, `/api/v1/organizations/${org.orgId}/service-accounts`);
    const account = accounts.items[0];
    assert.ok(account);
    assert.equal(account.name, `Deployer ${CANARY}`);
    const bindings = await json<{ items: { role: string }[] }>(admin, `/api/v1/organizations/${org.orgId}/bindings?principal_id=${account.id}`);
    assert.deepEqual(bindings.items.map((b) => b.role), ['viewer']);

    await page.fill(`#client-name-${account.id}`, 'ci');
    await page.click(`form.create-client[data-account="${account.id}"] button[type=submit]`);
    const secret = ((await page.locator('#new-client-secret').textContent()) ?? '').trim();
    const clientId = ((await page.locator('#new-client-id').textContent()) ?? '').trim();
    assert.equal(await page.locator('#new-client button', { hasText: 'Copy the secret' }).count(), 1);
    const token = await t.inject({ method: 'POST', url: '/oauth/token', payload: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` } });
    assert.equal(token.statusCode, 200, token.body);
    await page.click('#new-client button:has-text("I have stored it")');
    await page.locator('.service-account table tr', { hasText: 'ci' }).waitFor();
    assert.equal(await page.locator(`text=${secret}`).count(), 0);

    await page.click(`.delete-client[data-client="${clientId}"]`);
    await page.locator('.service-account table td', { hasText: 'None yet.' }).waitFor();
    await page.click(`.delete-account[data-account="${account.id}"]`);
    await page.locator('#view p', { hasText: 'No service accounts yet.' }).waitFor();
    assert.deepEqual((await json<{ items: unknown[] }>(admin, `/api/v1/organizations/${org.orgId}/service-accounts`)).items, []);
    await done();
  });

  it('AC-4, AC-7: approvals list access requests and risky writes; a requester approving their own is shown the refusal, a second administrator approves and rejects', async () => {
    const org = await createOrg(t, 'console-approvals');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const second = await sessionWith(t, (await memberWithRole(t, org, 'tenant_admin')).userId, MFA);
    const viewer = await memberWithRole(t, org, 'viewer');
    const base = `/api/v1/organizations/${org.orgId}`;
    const asked = await t.inject({ method: 'POST', url: `${base}/access-requests`, headers: { cookie: viewer.cookie }, payload: { role: 'security_analyst', reason: 'Investigating support ticket 4821', duration_minutes: 60 } });
    assert.equal(asked.statusCode, 201, asked.body);
    const requestId = asked.json<{ id: string }>().id;
    await allowRiskyWrites(t, org.orgId, admin.cookie);
    const queued = await t.inject({ method: 'DELETE', url: `${base}/projects/${org.projectId}`, headers: { cookie: admin.cookie } });
    assert.equal(queued.statusCode, 202, queued.body);
    const approvalId = queued.json<{ approval_id: string }>().approval_id;

    let { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/approvals`);
    await page.locator('#access-requests tr', { hasText: 'Investigating support ticket 4821' }).waitFor();
    await page.locator('#risky-approvals tr', { hasText: org.projectId }).waitFor();
    await page.click(`#risky-approvals [data-approval="${approvalId}"] .approve`);
    await message(page, /^A request cannot be approved by the person who made it/);
    await done();

    ({ page, done } = await openPage(second));
    await page.goto(`/console#/org/${org.orgId}/approvals`);
    await page.click(`#access-requests [data-request="${requestId}"] .approve`);
    await message(page, /Approved/);
    await page.click(`#risky-approvals [data-approval="${approvalId}"] .reject`);
    await message(page, /Rejected/);
    assert.equal(await page.locator('#access-requests td, #risky-approvals td', { hasText: 'None yet.' }).count(), 2);
    const request = await json<{ status: string; binding_id: string | null }>(viewer, `${base}/access-requests/${requestId}`);
    assert.equal(request.status, 'approved');
    assert.ok(request.binding_id);
    const approval = await json<{ status: string }>(admin, `${base}/approvals/${approvalId}`);
    assert.equal(approval.status, 'rejected');
    await done();
  });

  it('ENC-4: an administrator sets a secret, the list never shows its value, and revealing it needs a reason recorded in the audit log', async () => {
    const org = await createOrg(t, 'console-secrets');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const secrets = `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${org.environmentId}/secrets`;
    const value = `sk_live_${crypto.randomUUID()}`;
    const { page, done } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/secrets`);
    await page.fill('#secret-name', 'STRIPE_API_KEY');
    await page.fill('#secret-value', value);
    await page.click('#set-secret button[type=submit]');
    await message(page, /Saved STRIPE_API_KEY, version 1/);
    await page.fill('#secret-name', 'STRIPE_API_KEY');
    await page.fill('#secret-value', `${value}-2`);
    await page.click('#set-secret button[type=submit]');
    await message(page, /version 2/);
    assert.equal(await page.locator(`text=${value}`).count(), 0, 'the list shows no value');
    await page.fill('#reveal-reason-STRIPE_API_KEY', 'INC-42 rotation');
    await page.click('form.reveal-secret[data-secret="STRIPE_API_KEY"] button[type=submit]');
    await page.locator('.secret-value', { hasText: `${value}-2` }).waitFor();
    await t.app.services.audit.sequencer.drain();
    const events = await json<{ items: { action: string; metadata: Record<string, unknown> }[] }>(admin, `/api/v1/organizations/${org.orgId}/audit/events?action=secret.value_read`);
    assert.deepEqual(events.items.filter((e) => e.action === 'secret.value_read').map((e) => [e.metadata['reason'], e.metadata['version']]), [['INC-42 rotation', 2]]);
    await page.click('.delete-secret[data-secret="STRIPE_API_KEY"]');
    await page.locator('#secrets td', { hasText: 'None yet.' }).waitFor();
    assert.deepEqual((await json<{ items: unknown[] }>(admin, secrets)).items, []);
    await done();
  });

  it('AC-1: a Viewer sees no applications, roles, service accounts, secrets or approvals, and a Security Analyst sees applications read-only; the API refuses those actions anyway', async () => {
    const org = await createOrg(t, 'console-access-viewer');
    const viewer = await memberWithRole(t, org, 'viewer');
    const analyst = await memberWithRole(t, org, 'security_analyst');
    const base = `/api/v1/organizations/${org.orgId}`;
    // applications.read without applications.manage: the list, no register or delete.
    const reader = await openPage(analyst);
    await reader.page.goto(`/console#/org/${org.orgId}/applications`);
    await reader.page.locator('#applications').waitFor();
    assert.equal(await reader.page.locator('#create-app, .delete-app').count(), 0);
    await reader.done();
    const { page, done } = await openPage(viewer);
    await page.goto(`/console#/org/${org.orgId}/projects`);
    await page.locator('nav.tabs a').first().waitFor();
    assert.deepEqual(await page.locator('nav.tabs a').allTextContents(), ['Settings', 'Projects', 'Members', 'Security policy', 'Request access', 'Data and deletion']);
    const statuses = await page.evaluate(async ({ base, envPath }) => {
      const send = async (method: string, url: string, body?: unknown) => (await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).status;
      return [
        await send('POST', `${base}${envPath}/applications`, { name: 'x', client_type: 'public', redirect_uris: ['https://x.example.com/cb'] }),
        await send('POST', `${base}/roles`, { name: 'x', permissions: ['projects.read'] }),
        await send('GET', `${base}/roles`),
        await send('POST', `${base}/service-accounts`, { name: 'x' }),
        await send('GET', `${base}/service-accounts`),
        await send('POST', `${base}/approvals/${crypto.randomUUID()}/approve`, {}),
        await send('POST', `${base}/access-requests/${crypto.randomUUID()}/approve`, {}),
        await send('GET', `${base}${envPath}/secrets`),
        await send('POST', `${base}${envPath}/secrets`, { name: 'X', value: 'y' }),
        await send('GET', `${base}${envPath}/applications`),
      ];
    }, { base, envPath: `/projects/${org.projectId}/environments/${org.environmentId}` });
    assert.deepEqual(statuses, [403, 403, 403, 403, 403, 403, 403, 403, 403, 403]);
    await done();
  });
});
