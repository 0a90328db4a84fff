// Issue 21, IR-1…IR-4: the incidents pages of the console. A platform administrator lists incidents,
// opens one — its title and timeline carry XSS canaries, shown as text — sees its clocks with the
// time left, changes its phase, and writes and publishes the post-incident review; the API agrees.
// Others never see the page, and the API refuses them. Debian's chromium, axe-core on both views.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { manualClock } from '../../src/platform/clock.ts';
import { sessionWith, signUp } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';

peerSuite('console: incidents, clocks and the post-incident review (issue 21, IR-1, IR-2)', BROWSER_SKIP, () => {
  const clock = manualClock(new Date());
  let app: BrowserApp;
  let t: TestApp;
  before(async () => {
    app = await startBrowserApp({ clock });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
  });

  it('IR-1: a platform administrator opens an incident with <script> in its title and timeline shown as text, sees its clocks with the time left, changes its phase and publishes the review; the API agrees; a plain user gets neither the page nor the API', async () => {
    const operator = await signUp(t, 'incident-operator', { platformAdmin: true });
    const admin = await sessionWith(t, operator.userId, MFA);
    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.inject({ method, url, headers: { cookie: admin.cookie }, ...(payload === undefined ? {} : { payload }) });
    const opened = await call('POST', '/api/v1/platform/incidents', { title: `Outage ${CANARY}`, severity: 'critical' });
    assert.equal(opened.statusCode, 201, opened.body);
    const id = opened.json<{ id: string }>().id;
    assert.equal((await call('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: `Update ${CANARY}` })).statusCode, 201);

    const { page, done } = await app.openPage(admin);
    await page.goto('/console#/platform');
    await page.click('#nav-incidents');
    await page.locator(`#incidents-list [data-incident="${id}"]`).waitFor();
    assert.equal(await page.locator(`#incidents-list [data-incident="${id}"]`).innerText(), `Outage ${CANARY}`);
    assert.deepEqual(await axeViolations(page), [], 'axe on the list');
    await screenshot(page, 'incidents-list');

    await page.click(`#incidents-list [data-incident="${id}"]`);
    await page.locator('#incident-timeline').waitFor();
    assert.equal(await page.locator('#incident-title').innerText(), `Outage ${CANARY}`);
    assert.match(await page.locator('#incident-timeline').innerText(), new RegExp(`Update ${CANARY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(await page.locator('#incident-detail img, #incident-detail script, #incident-timeline img, #incident-timeline script').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
    // The update cadence (critical: 2 h) runs: its time left is shown.
    assert.match(await page.locator('#incident-clocks').innerText(), /update\s+\S.*\s+1 h 59 min left|update[\s\S]*(2 h 0 min|1 h 59 min) left/);
    assert.deepEqual(await axeViolations(page), [], 'axe on an incident');

    await page.selectOption('#incident-phase', 'contain');
    await page.click('#incident-change button[type=submit]');
    await message(page, /Incident changed/);
    await page.locator('#incident-clocks').getByText('status_page_update').waitFor();
    await screenshot(page, 'incident-detail');

    assert.equal((await call('PATCH', `/api/v1/platform/incidents/${id}`, { resolved: true })).statusCode, 204);
    await page.reload();
    await page.locator('#review-form').waitFor();
    await page.fill('#review-summary', `Summary ${CANARY}`);
    await page.fill('#review-root_cause', 'A certificate expired.');
    await page.click('#review-form button[type=submit]');
    await message(page, /Review saved/);
    await page.click('#review-publish button[type=submit]');
    await message(page, /Review published/);
    await page.locator('#review-published').waitFor();
    await done();

    const detail = (await call('GET', `/api/v1/platform/incidents/${id}`)).json<{ incident: { phase: string }; clocks: { clock: string; state: string; met_by: string | null }[] }>();
    assert.equal(detail.incident.phase, 'contain');
    assert.deepEqual(detail.clocks.filter((c) => c.clock === 'post_incident_report').map((c) => [c.state, c.met_by]), [['met', `review:${id}`]]);
    const review = (await call('GET', `/api/v1/platform/incidents/${id}/review`)).json<{ review: { summary: string; published_at: string | null } }>().review;
    assert.equal(review.summary, `Summary ${CANARY}`);
    assert.ok(review.published_at !== null);

    const plain = await signUp(t, 'incident-plain');
    const other = await app.openPage(await sessionWith(t, plain.userId, MFA));
    await other.page.goto(`/console#/platform/incidents/${id}`);
    await other.page.locator('h1').first().waitFor();
    assert.equal(await other.page.locator('#incident-timeline, #incidents-list').count(), 0);
    await other.done();
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/platform/incidents/${id}`, headers: { cookie: plain.cookie } })).statusCode, 403);
  });
});
