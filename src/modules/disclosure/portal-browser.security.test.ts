// Stored XSS through the researcher portal, checked where it would run: the pages rendered in
// headless Chromium (test/support/browser.ts), with canaries in every reporter field shown there —
// report title and body, messages, attachment file names.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { BROWSER_SKIP, CANARY, startBrowserApp, type BrowserApp } from '../../../test/support/browser.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { TEST_PASSWORD } from '../../../test/support/app.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { PNG, portalCode, reporterCookie, verifiedReport } from './portal-test-fixture.ts';

/** The canary without a slash: a file name carries no path. */
const NAME_CANARY = '<img src=x onerror="window.__xss=1">.png';

peerSuite('researcher portal in a real browser (VDP-2)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let smtp: TestSmtp;

  before(async () => {
    smtp = await startTestSmtp();
    app = await startBrowserApp({ env: smtp.env });
  });
  after(async () => {
    await app.close();
    await smtp.close();
  });

  it('VDP-2: canaries in the title, body, messages and file names are shown as text and never run', async () => {
    const { t } = app;
    const email = `browser-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email, CANARY, CANARY);
    const cookie = await reporterCookie(t, smtp, email);
    assert.equal((await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/messages`, headers: { cookie }, payload: { body: CANARY } })).statusCode, 201);
    const up = await t.inject({ method: 'POST', url: `/api/v1/disclosure/portal/reports/${id}/attachments?filename=${encodeURIComponent(NAME_CANARY)}`, headers: { cookie, 'content-type': 'image/png' }, payload: PNG });
    assert.equal(up.statusCode, 201, up.body);
    const code = await portalCode(t, smtp, email);

    const opened = await app.openPage();
    const { page } = opened;
    await page.goto('/security/disclosure/portal');
    await page.fill('input[name="token"]', code);
    await Promise.all([page.waitForURL('**/security/disclosure/portal/reports'), page.click('button[type="submit"]')]);
    assert.equal(await page.locator('main li a').first().textContent(), CANARY);
    const cookies = await opened.context.cookies();
    const session = cookies.find((c) => c.name === 'parapet_vdp_portal');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict' && session.path === '/security/disclosure/portal', JSON.stringify(session));
    assert.equal(await page.evaluate(() => document.cookie), '', 'no script reads the session');
    await Promise.all([page.waitForURL(`**/security/disclosure/portal/reports/${id}`), page.locator('main li a').first().click()]);
    assert.equal(await page.locator('h1').textContent(), CANARY);
    assert.equal(await page.locator('article pre').first().textContent(), CANARY);
    assert.equal(await page.locator(`a[href$="/attachments/${up.json<{ id: string }>().id}"]`).textContent(), NAME_CANARY);
    await opened.done();
  });

  it('VDP-2: a canary as the credit name is text on the acknowledgments page and the advisory, and never runs', async () => {
    const { t } = app;
    await t.createUser('vdp-browser-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    const admin = await t.login('vdp-browser-admin@example.com', TEST_PASSWORD);
    const email = `credit-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    assert.equal((await t.inject({ method: 'PUT', url: `/api/v1/disclosure/portal/reports/${id}/credit`, headers: { cookie }, payload: { consent: 'named', name: CANARY } })).statusCode, 200);
    assert.equal((await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload: { cvss_vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', status: 'fixed' } })).statusCode, 200);
    const published = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/advisory`, headers: { cookie: admin }, payload: { title: 'Canary check', summary: 'Fixed.', product_name: 'Parapet', affected_versions: '<3.0.0', fixed_version: '3.0.0' } });
    assert.equal(published.statusCode, 201, published.body);

    const opened = await app.openPage();
    const { page } = opened;
    await page.goto('/security/disclosure/acknowledgments');
    assert.ok((await page.locator('main li').first().textContent())?.startsWith(CANARY));
    await page.goto(published.json<{ page_url: string }>().page_url);
    assert.equal(await page.locator('main p', { hasText: 'Reported by' }).textContent(), `Reported by ${CANARY}.`);
    await opened.done();
  });
});
