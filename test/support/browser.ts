// Test-only: the console's browser suites share this setup — Debian's chromium driven by
// playwright-core, a Parapet listening on a free port at http://localhost:<port>, browser profiles
// signed in by handing them a session cookie, and the checks every page gets (no page error, no
// CSP report, no XSS canary that ran).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Clock } from '../../src/platform/clock.ts';
import type { Member } from './access.ts';
import { createTestApp, type TestApp } from './app.ts';
import { freePort } from './ports.ts';

export const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env['PARAPET_REQUIRE_BROWSER'] === '1';
/** The `peerSuite` skip reason when there is no browser (never when PARAPET_REQUIRE_BROWSER=1: then the suite fails). */
export const BROWSER_SKIP: string | false = existsSync(CHROMIUM) || REQUIRED ? false : `no browser at ${CHROMIUM} (apt-get install chromium; PARAPET_REQUIRE_BROWSER=1 makes this a failure)`;
/** An XSS canary: if any page parsed it as markup, window.__xss would be set (and the CSP would report it). */
export const CANARY = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
/** Authentication methods of a session that satisfies an MFA policy. */
export const MFA = ['pwd', 'otp', 'mfa'];

export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Closes the profile; fails when a page error, a CSP report or an injected script happened. */
  readonly done: () => Promise<void>;
}

export interface BrowserApp {
  readonly t: TestApp;
  readonly browser: Browser;
  /** http://localhost:<port>, the app's PARAPET_PUBLIC_URL. */
  readonly baseURL: string;
  /** A browser profile signed in as `who` (no cookie: signed out). */
  readonly openPage: (who?: Member) => Promise<OpenedPage>;
  /** GET `url` through the API as `who`; asserts 200. */
  readonly json: <T>(who: Member, url: string) => Promise<T>;
  readonly close: () => Promise<void>;
}

/** Starts Parapet on a free port (with `env` added) and chromium. */
export async function startBrowserApp(options: { clock?: Clock; env?: Record<string, string> } = {}): Promise<BrowserApp> {
  assert.ok(existsSync(CHROMIUM), `PARAPET_REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}`);
  const port = await freePort();
  const baseURL = `http://localhost:${port}`;
  const t = await createTestApp({ ...(options.clock === undefined ? {} : { clock: options.clock }), env: { PARAPET_PUBLIC_URL: baseURL, ...options.env } });
  let browser: Browser | undefined;
  try {
    await t.app.http.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--host-resolver-rules=MAP localhost 127.0.0.1'] });
  } catch (error) {
    await t.close();
    throw error;
  }
  const launched = browser;

  async function openPage(who?: Member): Promise<OpenedPage> {
    const context = await launched.newContext({ baseURL });
    context.setDefaultTimeout(10_000);
    if (who !== undefined) await context.addCookies([{ name: 'parapet_session', value: who.cookie.replace(/^parapet_session=/, ''), url: baseURL }]);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    return {
      page,
      context,
      done: async () => {
        const xss = await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss).catch(() => undefined);
        await context.close();
        assert.equal(xss, undefined, 'an injected script ran');
        assert.deepEqual(problems, []);
      },
    };
  }

  return {
    t,
    browser: launched,
    baseURL,
    openPage,
    json: async <T>(who: Member, url: string): Promise<T> => {
      const response = await t.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
      return response.json<T>();
    },
    close: async () => {
      await launched.close();
      await t.close();
    },
  };
}

/** Waits for the console's message line to match `pattern` (some answers hash a password: on a loaded machine they take longer than a click). */
export function message(page: Page, pattern: RegExp): Promise<void> {
  return page.locator('#message', { hasText: pattern }).waitFor({ timeout: 30_000 });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The serious and critical axe-core violations (WCAG 2.0/2.1 A and AA rules) on the page as it is
 * now. axe is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
 * page keeps its CSP (and a canary that ran is still caught).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return (await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Moves focus with the Tab key alone until the focused element matches `selector` (fails after
 * `limit` presses): proves a control is reachable by keyboard, and leaves focus on it.
 */
export async function tabTo(page: Page, selector: string, limit = 250): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`${selector} was not reached with the Tab key in ${limit} presses`);
}

/** Where `screenshot` writes: the docs' images, so docs/console.md shows what the suite saw. */
const SCREENSHOTS = new URL('../../docs/images/', import.meta.url);

/**
 * Saves the page as `docs/images/console-<name>.png` when `PARAPET_SCREENSHOTS=1` (`npm run
 * screenshots` runs the console suites that way); otherwise does nothing, so `npm test` leaves the
 * tree clean. `test/docs/console-screenshots.test.ts` checks that every image docs/console.md shows
 * is taken by some test.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['PARAPET_SCREENSHOTS'] !== '1') return;
  // One 1200x800 view (what a person sees, not the whole scrolled page), so each PNG stays small.
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.screenshot({ path: new URL(`console-${name}.png`, SCREENSHOTS).pathname, fullPage: false });
}
