// CSRF and clickjacking aimed at the console's forms, in a real browser (issue 19, "Tests:
// Security"). The attacker is a page on another origin served by this test: on the same site (the
// same host name, another port — another app on the host) and on another site (127.0.0.1 while the
// console is at localhost). The operator signs in through /login, so the browser holds the session
// cookie exactly as Parapet set it. The target is the platform page's "Disable" form
// (POST /api/v1/platform/users/{id}/disable, no body: a plain HTML form can send it); whether the
// account was disabled is checked through the API.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { TEST_PASSWORD } from '../support/app.ts';
import { BROWSER_SKIP, startBrowserApp, type BrowserApp } from '../support/browser.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { freePort } from '../support/ports.ts';

/** The attacker's pages: an auto-submitting form to `target`, and a page framing `target`. */
function attackerPages(): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://attacker');
    const target = url.searchParams.get('target') ?? '';
    const escaped = target.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
    const body = url.pathname === '/form'
      ? `<!doctype html><title>Win a prize</title><form id="f" method="POST" action="${escaped}"><button>Claim</button></form><script>document.getElementById('f').submit()</script>`
      : url.pathname === '/fetch'
        ? `<!doctype html><title>Win a prize</title><script>window.sent = fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', mode: 'no-cors' }).then(() => 'sent', () => 'failed')</script>`
        : `<!doctype html><title>Win a prize</title><p>Click the button below!</p><iframe id="victim" src="${escaped}" width="900" height="600" title="prize"></iframe>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
}

peerSuite('CSRF and clickjacking against the console (issue 19; ASVS 4.0.3 V4.2.2, V14.4.7, V3.4.3)', BROWSER_SKIP, () => {
  let app: BrowserApp;
  let attacker: Server;
  let attackerPort: number;
  const operatorEmail = `operator-${crypto.randomUUID()}@example.com`;
  let victim: { id: string; email: string };

  before(async () => {
    app = await startBrowserApp();
    await app.t.createUser(operatorEmail, TEST_PASSWORD, { platformAdmin: true });
    attackerPort = await freePort();
    attacker = attackerPages();
    await new Promise<void>((resolve) => attacker.listen(attackerPort, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => attacker?.close(resolve));
    await app?.close();
  });

  /** A browser profile signed in through /login, holding the cookie Parapet set (with its attributes). */
  async function operatorProfile(): Promise<{ context: BrowserContext; page: Page }> {
    // Each attack aims at an account of its own, so one that got through cannot hide another.
    const email = `victim-${crypto.randomUUID()}@example.com`;
    victim = { id: (await app.t.createUser(email, TEST_PASSWORD)).id, email };
    const context = await app.browser.newContext({ baseURL: app.baseURL });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto('/login');
    await page.fill('#email', operatorEmail);
    await page.fill('#password', TEST_PASSWORD);
    await page.click('#login button[type=submit]');
    await page.waitForURL('**/console');
    await page.locator('#who', { hasText: 'platform administrator' }).waitFor();
    return { context, page };
  }

  /** Whether the victim's account is disabled, through the API as the operator. */
  async function victimDisabled(context: BrowserContext): Promise<boolean> {
    const session = (await context.cookies()).find((c) => c.name === 'parapet_session');
    assert.ok(session, 'the operator is signed in');
    const list = await app.json<{ items: { id: string; disabled_at: string | null }[] }>({ userId: '', cookie: `parapet_session=${session.value}` }, `/api/v1/platform/users?q=${encodeURIComponent(victim.email)}`);
    const row = list.items.find((u) => u.id === victim.id);
    assert.ok(row);
    return row.disabled_at !== null;
  }

  const disableUrl = () => `${app.baseURL}/api/v1/platform/users/${victim.id}/disable`;

  /** The attacker's page sends a credentialed no-cors fetch (no body, so no content type to refuse): the answer is withheld from it, the request is sent. */
  async function fetchFrom(page: Page, origin: string): Promise<void> {
    const issued = page.waitForRequest((r) => r.url() === disableUrl());
    await page.goto(`${origin}/fetch?target=${encodeURIComponent(disableUrl())}`);
    await issued;
    await page.evaluate('window.sent');
  }

  it('a page on another origin of the same site fetches and posts the console\'s Disable form with the session cookie: refused (origin_mismatch), the account stays enabled', async () => {
    const { context, page } = await operatorProfile();
    try {
      // Same site (localhost, another port): the SameSite=Lax cookie is sent; the Origin check must refuse.
      const evil = `http://localhost:${attackerPort}`;
      await fetchFrom(page, evil);
      assert.equal(await victimDisabled(context), false);

      // An auto-submitted HTML form (a top-level POST navigation); its answer is the problem document.
      const answer = page.waitForResponse((r) => r.url() === disableUrl());
      await page.goto(`${evil}/form?target=${encodeURIComponent(disableUrl())}`);
      const response = await answer;
      assert.equal(await victimDisabled(context), false);
      assert.equal(response.status(), 403);
      assert.equal((await response.json() as { code: string }).code, 'origin_mismatch');
    } finally {
      await context.close();
    }
  });

  it('a page on another site fetches and auto-submits the console\'s Disable form: refused, the account stays enabled', async () => {
    const { context, page } = await operatorProfile();
    try {
      // Another site: the SameSite=Lax cookie is not sent with the fetch, and the Origin check refuses it anyway.
      const evil = `http://127.0.0.1:${attackerPort}`;
      await fetchFrom(page, evil);
      assert.equal(await victimDisabled(context), false);
      const answer = page.waitForResponse((r) => r.url() === disableUrl());
      await page.goto(`${evil}/form?target=${encodeURIComponent(disableUrl())}`);
      const response = await answer;
      assert.equal(await victimDisabled(context), false);
      assert.equal(response.status(), 403);
      assert.equal((await response.json() as { code: string }).code, 'origin_mismatch');
    } finally {
      await context.close();
    }
  });

  for (const path of ['/console', '/login']) {
    it(`a signed-in operator's ${path} cannot be framed by another site: the frame never shows the page`, async () => {
      const { context, page } = await operatorProfile();
      try {
        await page.goto(`http://127.0.0.1:${attackerPort}/frame?target=${encodeURIComponent(`${app.baseURL}${path}`)}`);
        const frameElement = await page.waitForSelector('#victim');
        const frame = await frameElement.contentFrame();
        assert.ok(frame);
        // Until the browser commits something in the frame (the page, or its error page when refused), it is about:blank.
        while (frame.url() === '' || frame.url() === 'about:blank') await new Promise((resolve) => setTimeout(resolve, 50));
        await frame.waitForLoadState('load');
        assert.notEqual(frame.url(), `${app.baseURL}${path}`, `${path} was displayed inside another site's frame`);
        assert.equal(await frame.locator('#who, #login').count(), 0);
      } finally {
        await context.close();
      }
    });
  }

  it('the session cookie the console signs in with is HttpOnly and SameSite=Lax (not sent with another site\'s requests)', async () => {
    const answer = await app.t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: operatorEmail, password: TEST_PASSWORD } });
    assert.equal(answer.statusCode, 200, answer.body);
    const cookie = [answer.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('parapet_session='));
    assert.ok(cookie, 'a session cookie is set');
    assert.match(cookie, /;\s*HttpOnly(;|$)/i);
    assert.match(cookie, /;\s*SameSite=Lax(;|$)/i);
  });

  it('every console page forbids framing twice: CSP frame-ancestors \'none\' and X-Frame-Options: DENY', async () => {
    for (const path of ['/console', '/login', '/setup', '/accept-invitation', '/reset-password']) {
      const response = await app.t.inject({ method: 'GET', url: path });
      assert.equal(response.statusCode, 200, path);
      assert.match(String(response.headers['content-security-policy']), /(^|;\s*)frame-ancestors 'none'(;|$)/, path);
      assert.equal(response.headers['x-frame-options'], 'DENY', path);
    }
  });
});
