// Accessibility of the console in a real browser (Debian's chromium, playwright-core): axe-core on
// every page and tab the suite can reach, 0 serious or critical violations (WCAG 2 A/AA rules), and
// a flow done by keyboard alone. axe is injected as a script, which the console's CSP forbids: these
// contexts bypass the CSP for that reason only (the other console suites keep it and fail on any
// violation report).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createOrg, sessionWith, signUp, type Member } from '../support/access.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { peerSuite } from '../support/peer-suite.ts';

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env['PARAPET_REQUIRE_BROWSER'] === '1';
const SKIP = existsSync(CHROMIUM) || REQUIRED ? false : `no browser at ${CHROMIUM} (apt-get install chromium; PARAPET_REQUIRE_BROWSER=1 makes this a failure)`;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

peerSuite('console accessibility (axe-core, keyboard)', SKIP, () => {
  let t: TestApp;
  let browser: Browser;
  let baseURL: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `PARAPET_REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}`);
    const port = await freePort();
    baseURL = `http://localhost:${port}`;
    t = await createTestApp({ env: { PARAPET_PUBLIC_URL: baseURL } });
    await t.app.http.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--host-resolver-rules=MAP localhost 127.0.0.1'] });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  async function openPage(who?: Member, bypassCSP = true): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await browser.newContext({ baseURL, bypassCSP });
    context.setDefaultTimeout(10_000);
    if (who !== undefined) await context.addCookies([{ name: 'parapet_session', value: who.cookie.replace(/^parapet_session=/, ''), url: baseURL }]);
    const page = await context.newPage();
    return { page, close: () => context.close() };
  }

  /** Serious and critical axe violations on the page as it is now. */
  async function violations(page: Page): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    const found = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Violation[] }> } }).axe;
      return (await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations;
    });
    return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

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
    const { page, close } = await openPage(admin, false);
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
