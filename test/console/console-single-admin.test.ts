// AC-7, issue 19: in an organization with one administrator, a risky write queued for approval is
// confirmed alone from the console's Approvals tab once its cooling-off period has passed. Clicked
// through in Debian's chromium; the result checked through the API; axe-core on the tab.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { manualClock } from '../../src/platform/clock.ts';
import { createOrg, post, sessionWith } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, CANARY, message, MFA, screenshot, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { allowRiskyWrites } from '../support/risky-writes.ts';

peerSuite('console: risky writes in a single-administrator organization (AC-7)', BROWSER_SKIP, () => {
  const clock = manualClock(new Date());
  let app: BrowserApp;
  let t: TestApp;
  before(async () => {
    app = await startBrowserApp({ clock, env: { PARAPET_RISKY_WRITE_COOLING_OFF_MINUTES: '5' } });
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
  });

  it('AC-7: the only administrator sees when they may confirm a project deletion alone, and confirms it after the cooling-off period; the API agrees', async () => {
    const org = await createOrg(t, 'console-alone');
    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    const base = `/api/v1/organizations/${org.orgId}`;
    const project = await post(t, org.admin, `${base}/projects`, { name: `Made a minute ago ${CANARY}` });
    const queued = await t.inject({ method: 'DELETE', url: `${base}/projects/${project}`, headers: { cookie: org.admin.cookie } });
    assert.equal(queued.statusCode, 202, queued.body);
    const approval = String(queued.headers['location']).split('/').pop() ?? '';

    // Before the cooling-off period: the button is there, disabled, with when it opens.
    const admin = await sessionWith(t, org.admin.userId, MFA);
    const { page, done } = await app.openPage(admin);
    await page.goto(`/console#/org/${org.orgId}/approvals`);
    const row = page.locator(`#risky-approvals [data-approval="${approval}"]`);
    await row.waitFor();
    assert.equal(await row.locator('.confirm-alone').isDisabled(), true);
    assert.match(await row.innerText(), /Nobody else can approve this: as its requester you may confirm it alone from/);
    assert.deepEqual(await axeViolations(page), [], 'axe on the approvals tab');

    // After it: confirmed from the console, with a fresh sign-in (the step-up window).
    clock.advance(5 * 60_000 + 1_000);
    const fresh = await sessionWith(t, org.admin.userId, MFA);
    await done();
    const later = await app.openPage(fresh);
    await later.page.goto(`/console#/org/${org.orgId}/approvals`);
    const ready = later.page.locator(`#risky-approvals [data-approval="${approval}"] .confirm-alone`);
    await ready.waitFor();
    assert.equal(await ready.isDisabled(), false);
    await screenshot(later.page, 'approvals-confirm-alone');
    await ready.click();
    await message(later.page, /Confirmed and carried out/);
    await later.done();
    assert.equal((await t.inject({ method: 'GET', url: `${base}/projects/${project}`, headers: { cookie: fresh.cookie } })).statusCode, 404);
    const decided = (await t.inject({ method: 'GET', url: `${base}/approvals/${approval}`, headers: { cookie: fresh.cookie } })).json<{ status: string; decided_by: string }>();
    assert.deepEqual([decided.status, decided.decided_by], ['approved', org.admin.userId]);
  });
});
