// The console's grant pages in a real browser (Debian's chromium, driven by playwright-core), each
// worked by keyboard alone and checked through the API: a role granted at an environment with
// conditions and an expiry (Members tab), a secret's versions with an older one revealed for a
// reason (Secrets tab), and just-in-time access asked for, followed, cancelled and approved (Request
// access tab, Approvals). XSS canaries ride in every user-controlled string these pages show.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createOrg, memberWithRole, sessionWith, type Member } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { chooseByKeyboard, press, setCheck, typeInto } from './keyboard.ts';

peerSuite('console grant pages in a real browser (AC-2, AC-3, AC-4, ENC-4)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let t: TestApp;
  const json = <T>(who: Member, url: string) => app.json<T>(who, url);
  const axe = async (page: Page, where: string) => {
    assert.deepEqual(await axeViolations(page), [], `axe on ${where}`);
  };
  const send = async (who: Member, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload: object, status: number) => {
    const response = await t.inject({ method, url, headers: { cookie: who.cookie }, payload });
    assert.equal(response.statusCode, status, response.body);
    return response;
  };
  /** An organization whose name, project name and environment name carry the canary. */
  const canaryOrg = async (label: string) => {
    const org = await createOrg(t, label);
    const base = `/api/v1/organizations/${org.orgId}`;
    await send(org.admin, 'PATCH', base, { name: `Org ${CANARY}` }, 200);
    await send(org.admin, 'PATCH', `${base}/projects/${org.projectId}`, { name: `Shop ${CANARY}` }, 200);
    await send(org.admin, 'PATCH', `${base}/projects/${org.projectId}/environments/${org.environmentId}`, { name: `prod ${CANARY}` }, 200);
    return { ...org, base };
  };

  before(async () => {
    app = await startBrowserApp();
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
  });

  it('AC-2, AC-3: an administrator grants a member a role at one environment, only with a second factor, from 10.0.0.0/8, on Mondays 09:00–17:00 Berlin time, until a date — by keyboard; the API holds that binding; removing it removes it', async () => {
    const org = await canaryOrg('console-grant');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const member = await memberWithRole(t, org, 'viewer');
    await send(member, 'PATCH', '/api/v1/users/me', { display_name: `Mallory ${CANARY}` }, 200);
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/members`);
    await page.locator('#grant-role').waitFor();
    await axe(page, 'the Members tab with the grant form');

    await chooseByKeyboard(page, '#grant-member', member.userId);
    await chooseByKeyboard(page, '#grant-role-key', 'security_analyst');
    await chooseByKeyboard(page, '#grant-scope', `e:${org.environmentId}`);
    // Date and time fields take their value as a person's typing would set it (the format is the browser's locale).
    const expires = new Date(Date.now() + 7 * 86_400_000);
    expires.setSeconds(0, 0);
    const local = new Date(expires.getTime() - expires.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.fill('#grant-expires', local);
    await setCheck(page, '#grant-mfa', true);
    await typeInto(page, '#grant-ip', '10.0.0.0/8');
    await page.fill('#grant-start', '09:00');
    await page.fill('#grant-end', '17:00');
    await page.fill('#grant-timezone', '');
    await typeInto(page, '#grant-timezone', 'Europe/Berlin');
    await setCheck(page, '#grant-day-1', true);
    await press(page, '#grant-role button[type=submit]');
    await message(page, /The role is granted/);

    type Binding = { id: string; role: string; scope: { project_id: string | null; environment_id: string | null }; conditions: unknown; expires_at: string | null };
    const bindings = async () => (await json<{ items: Binding[] }>(admin, `${org.base}/bindings?principal_id=${member.userId}`)).items;
    const granted = (await bindings()).find((b) => b.role === 'security_analyst');
    assert.ok(granted);
    assert.deepEqual(granted.scope, { project_id: org.projectId, environment_id: org.environmentId });
    assert.deepEqual(granted.conditions, { mfa: true, ip: ['10.0.0.0/8'], time: { timezone: 'Europe/Berlin', start: '09:00', end: '17:00', days: [1] } });
    assert.equal(granted.expires_at, expires.toISOString());

    const row = page.locator('#scoped-bindings tr', { hasText: `Mallory ${CANARY}` });
    await row.locator('td', { hasText: `Environment Shop ${CANARY} / prod ${CANARY}` }).waitFor();
    await row.locator('td', { hasText: 'with a second factor; from 10.0.0.0/8; Mon 09:00–17:00 (Europe/Berlin)' }).waitFor();
    await axe(page, 'the Members tab with a scoped grant');
    await screenshot(page, 'members-scoped-grant');

    await press(page, `.remove-binding[data-binding="${granted.id}"]`);
    await message(page, /The role is removed/);
    assert.deepEqual((await bindings()).map((b) => b.role), ['viewer']);
    await done();
  });

  it('ENC-4: an administrator lists a secret’s versions and reveals an older one with a reason, by keyboard; the audit event records that version and reason; a value carrying markup is shown as text', async () => {
    const org = await canaryOrg('console-versions');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const secrets = `${org.base}/projects/${org.projectId}/environments/${org.environmentId}/secrets`;
    const first = `old ${CANARY}`;
    await send(admin, 'POST', secrets, { name: 'DATABASE_URL', value: first }, 201);
    await send(admin, 'POST', secrets, { name: 'DATABASE_URL', value: 'postgres://new' }, 201);
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/secrets`);
    await page.locator('#secrets tr', { hasText: 'DATABASE_URL' }).waitFor();
    await press(page, 'details.secret-versions[data-secret="DATABASE_URL"] summary');
    const versions = page.locator('details.secret-versions[data-secret="DATABASE_URL"] table');
    await versions.locator('tr', { hasText: 'Current' }).waitFor();
    assert.equal(await versions.locator('tbody tr').count(), 2);
    await versions.locator('tr', { hasText: 'Replaced' }).waitFor();
    await axe(page, 'the Secrets tab with the versions list');

    await typeInto(page, '#reveal-reason-DATABASE_URL-v1', 'INC-7 rollback check');
    await press(page, 'form.reveal-secret[data-version="1"] button[type=submit]');
    const shown = versions.locator('.secret-value');
    await shown.waitFor();
    assert.equal(await shown.textContent(), first);
    await screenshot(page, 'secrets-versions');

    await t.app.services.audit.sequencer.drain();
    const events = await json<{ items: { action: string; metadata: Record<string, unknown> }[] }>(admin, `${org.base}/audit/events?action=secret.value_read`);
    assert.deepEqual(events.items.filter((e) => e.action === 'secret.value_read').map((e) => [e.metadata['reason'], e.metadata['version']]), [['INC-7 rollback check', 1]]);
    const listed = await json<{ items: { version: number; current: boolean }[] }>(admin, `${secrets}/DATABASE_URL/versions`);
    assert.deepEqual(listed.items.map((v) => [v.version, v.current]).sort(), [[1, false], [2, true]]);
    await done();
  });

  it('AC-4: a Viewer asks for a role at a project for two hours with a reason, sees it pending, cancels a second one; an approver follows the link to Approvals and approves; all by keyboard, and the API agrees', async () => {
    const org = await canaryOrg('console-jit');
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const viewer = await memberWithRole(t, org, 'viewer');
    await send(viewer, 'PATCH', '/api/v1/users/me', { display_name: `Vera ${CANARY}` }, 200);
    const reason = `Ticket 4821: check the export ${CANARY}`;

    let { page, done } = await app.openPage(viewer);
    await page.goto(`/console#/org/${org.orgId}/request-access`);
    await page.locator('#request-access').waitFor();
    assert.equal(await page.locator('#approvals-link').count(), 0, 'a Viewer approves nothing: no link to Approvals');
    await axe(page, 'the Request access tab');
    await chooseByKeyboard(page, '#request-role', 'security_analyst');
    await chooseByKeyboard(page, '#request-scope', `p:${org.projectId}`);
    await chooseByKeyboard(page, '#request-duration', '120');
    await typeInto(page, '#request-reason', reason);
    await press(page, '#request-access button[type=submit]');
    await message(page, /Your request is sent/);
    type Request = { id: string; role: string; status: string; reason: string; duration_minutes: number; scope: { project_id: string | null; environment_id: string | null }; requester_id: string };
    const requests = async () => (await json<{ items: Request[] }>(viewer, `${org.base}/access-requests`)).items;
    const [asked] = await requests();
    assert.ok(asked);
    assert.deepEqual([asked.role, asked.status, asked.reason, asked.duration_minutes, asked.scope, asked.requester_id], ['security_analyst', 'pending', reason, 120, { project_id: org.projectId, environment_id: null }, viewer.userId]);
    const row = page.locator('#my-requests tr', { hasText: reason });
    await row.locator('td', { hasText: `Project Shop ${CANARY}` }).waitFor();
    await row.locator('td', { hasText: 'pending' }).waitFor();

    // A second request, withdrawn.
    await chooseByKeyboard(page, '#request-scope', 'org');
    await typeInto(page, '#request-reason', 'Asked by mistake, withdrawing');
    await press(page, '#request-access button[type=submit]');
    await message(page, /Your request is sent/);
    const second = (await requests()).find((r) => r.reason === 'Asked by mistake, withdrawing');
    assert.ok(second);
    await press(page, `.cancel-request[data-request="${second.id}"]`);
    await message(page, /The request is cancelled/);
    assert.equal((await json<Request>(viewer, `${org.base}/access-requests/${second.id}`)).status, 'cancelled');
    await screenshot(page, 'request-access');
    await done();

    ({ page, done } = await app.openPage(admin));
    await page.goto(`/console#/org/${org.orgId}/request-access`);
    await press(page, '#approvals-link');
    await page.locator('#access-requests tr', { hasText: reason }).waitFor();
    await axe(page, 'the Approvals tab reached from Request access');
    await press(page, `#access-requests [data-request="${asked.id}"] .approve`);
    await message(page, /Approved/);
    await done();
    const approved = await json<Request & { binding_id: string | null }>(viewer, `${org.base}/access-requests/${asked.id}`);
    assert.equal(approved.status, 'approved');
    assert.ok(approved.binding_id);

    ({ page, done } = await app.openPage(viewer));
    await page.goto(`/console#/org/${org.orgId}/request-access`);
    await page.locator('#my-requests tr', { hasText: reason }).locator('td', { hasText: 'approved' }).waitFor();
    await done();
  });
});
