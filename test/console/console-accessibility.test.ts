// Accessibility of the console in a real browser (Debian's chromium, playwright-core): axe-core on
// every page and tab the suite can reach, 0 serious or critical violations (WCAG 2 A/AA rules), and
// a flow done by keyboard alone. axe is evaluated through the DevTools protocol, so the pages keep
// their CSP and any violation report fails the test (test/support/browser.ts).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createOrg, sessionWith, signUp, type Member } from '../support/access.ts';
import type { TestApp } from '../support/app.ts';
import { axeViolations, BROWSER_SKIP, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';

peerSuite('console accessibility (axe-core, keyboard)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let t: TestApp;

  before(async () => {
    app = await startBrowserApp();
    ({ t } = app);
  });
  after(async () => {
    await app?.close();
  });

  async function openPage(who?: Member): Promise<{ page: Page; close: () => Promise<void> }> {
    const { page, done } = await app.openPage(who);
    return { page, close: done };
  }
  const violations = axeViolations;

  it('every console page and tab has no serious or critical axe violations', async () => {
    const org = await createOrg(t, 'a11y');
    const admin = await sessionWith(t, org.admin.userId, ['pwd', 'otp', 'mfa']);
    const operator = await signUp(t, 'a11y-operator', { platformAdmin: true });
    const report: Record<string, string[]> = {};

    const anonymous = await openPage();
    for (const path of ['/login', '/setup', '/reset-password', '/accept-invitation']) {
      await anonymous.page.goto(path);
      report[path] = await violations(anonymous.page);
    }
    await anonymous.page.goto('/login');
    await anonymous.page.click('#forgot');
    report['/login forgot'] = await violations(anonymous.page);
    await anonymous.close();

    const signedIn = await openPage(admin);
    const views = ['', 'account', ...['overview', 'projects', 'members', 'roles', 'api-keys', 'service-accounts', 'policy', 'secrets', 'audit', 'approvals', 'applications', 'sso', 'access-review', 'data'].map((tab) => `org/${org.orgId}/${tab}`)];
    for (const view of views) {
      await signedIn.page.goto(`/console#/${view}`);
      await signedIn.page.locator('#view h1').waitFor();
      await signedIn.page.waitForLoadState('networkidle');
      report[`#/${view}`] = await violations(signedIn.page);
    }
    await signedIn.close();

    const platform = await openPage(operator);
    await platform.page.goto('/console#/platform');
    await platform.page.locator('#users').waitFor();
    report['#/platform'] = await violations(platform.page);
    await platform.close();

    assert.deepEqual(Object.entries(report).filter(([, v]) => v.length > 0), []);
    assert.ok(Object.keys(report).length >= 14);
  });

  it('a project is created by keyboard alone: Tab reaches the tab links and the form, Enter follows and submits', async () => {
    const org = await createOrg(t, 'keyboard');
    const admin = await sessionWith(t, org.admin.userId, ['pwd', 'otp', 'mfa']);
    const { page, close } = await openPage(admin);
    await page.goto(`/console#/org/${org.orgId}`);
    await page.locator('#org-name').waitFor();
    /** Presses Tab until the focused element matches; fails if it never does (not reachable by keyboard). */
    const focusOn = async (what: string, matches: (el: { tag: string; id: string; text: string }) => boolean): Promise<void> => {
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        const el = await page.evaluate(() => {
          const active = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; textContent: string | null } | null } }).document.activeElement;
          return { tag: active?.tagName ?? '', id: active?.id ?? '', text: active?.textContent ?? '' };
        });
        if (matches(el)) return;
      }
      assert.fail(`Tab never reached ${what}`);
    };
    await focusOn('the Projects tab', (el) => el.tag === 'A' && el.text === 'Projects');
    await page.keyboard.press('Enter');
    await page.locator('#create-project').waitFor();
    await focusOn('the new project field', (el) => el.id === 'project-name');
    await page.keyboard.type('Typed by keyboard');
    await page.keyboard.press('Enter');
    await page.locator('.project h3', { hasText: 'Typed by keyboard' }).waitFor();
    const projects = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { cookie: admin.cookie } });
    assert.ok(projects.json<{ items: { name: string }[] }>().items.some((p) => p.name === 'Typed by keyboard'));
    await close();
  });
});
