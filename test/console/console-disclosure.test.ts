// Issue 22 item 7, VDP-2/VDP-3: the security team's work list in the console. A platform
// administrator sees the received reports with their clocks (overdue first), opens one — its
// reporter-written title and text, XSS canaries, shown as text — and triages it; the API agrees.
// Others never see the page, and the API refuses them. Debian's chromium, axe-core on both views.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { manualClock } from '../../src/platform/clock.ts';
import { verifiedReport } from '../../src/modules/disclosure/portal-test-fixture.ts';
import { signUp } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { sessionWith } from '../support/access.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

peerSuite('console: the vulnerability reports work list (issue 22, VDP-2, VDP-3)', BROWSER_SKIP, () => {
  const clock = manualClock(new Date());
  let app: BrowserApp;
  let t: TestApp;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
    app = await startBrowserApp({ clock, env: smtp.env });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
    await smtp?.close();
  });

  it('VDP-2: a platform administrator sees overdue reports first, opens one with <script> text shown as text, and triages it; the API agrees; a plain user gets neither the page nor the API', async () => {
    const older = await verifiedReport(t, smtp, `older-${crypto.randomUUID()}@example.com`, 'An older finding', 'Old steps');
    // Two days on, the first report's 24 h acknowledgement clock is overdue; a new one arrives.
    clock.advance(2 * 24 * 3_600_000);
    const newer = await verifiedReport(t, smtp, `newer-${crypto.randomUUID()}@example.com`, `Title ${CANARY}`, `Body ${CANARY}`);
    const operator = await signUp(t, 'disclosure-operator', { platformAdmin: true });
    const admin = await sessionWith(t, operator.userId, MFA);

    const { page, done } = await app.openPage(admin);
    await page.goto('/console#/platform');
    await page.click('#nav-disclosure');
    const links = page.locator('#disclosure-reports .report-link');
    await links.first().waitFor();
    const order = await links.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-report')));
    assert.ok(order.indexOf(older) < order.indexOf(newer), `overdue first: ${JSON.stringify(order)}`);
    assert.match(await page.locator('#disclosure-reports').innerText(), /overdue/);
    assert.deepEqual(await axeViolations(page), [], 'axe on the work list');
    await screenshot(page, 'disclosure-work-list');

    await page.click(`#disclosure-reports [data-report="${newer}"]`);
    await page.locator('#report-body').waitFor();
    // Reporter content is text: the canary is visible as written and created no element.
    assert.equal(await page.locator('#report-title').innerText(), `Title ${CANARY}`);
    assert.equal(await page.locator('#report-body').innerText(), `Body ${CANARY}`);
    assert.equal(await page.locator('#report-detail img, #report-body img, #report-detail script, #report-body script').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
    assert.deepEqual(await axeViolations(page), [], 'axe on a report');

    await page.selectOption('#triage-status', 'acknowledged');
    await page.fill('#triage-cvss', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    await page.fill('#triage-assignee', operator.userId);
    await page.click('#triage-form button[type=submit]');
    await message(page, /Triage saved/);
    await done();

    const read = await t.inject({ method: 'GET', url: `/api/v1/platform/disclosure/reports/${newer}`, headers: { cookie: admin.cookie } });
    const report = read.json<{ status: string; severity: string; assignee_user_id: string }>();
    assert.deepEqual([report.status, report.severity, report.assignee_user_id], ['acknowledged', 'critical', operator.userId]);

    // A signed-in user who is not a platform administrator: no link, no page, and the API refuses.
    const plain = await signUp(t, 'disclosure-plain');
    const other = await app.openPage(await sessionWith(t, plain.userId, MFA));
    await other.page.goto('/console#/platform/disclosure');
    await other.page.locator('h1').first().waitFor();
    assert.equal(await other.page.locator('#disclosure-reports').count(), 0);
    assert.equal(await other.page.locator('#nav-platform').isVisible(), false);
    await other.done();
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/platform/disclosure/reports', headers: { cookie: plain.cookie } })).statusCode, 403);
  });
});
