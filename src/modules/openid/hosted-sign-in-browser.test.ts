// The hosted sign-in page in headless Chromium: the form is posted by a real browser, whose headers
// the other OpenID tests only imitate. Every Parapet page is served with `Referrer-Policy:
// no-referrer`, under which Chromium sends `Origin: null` with a same-origin form post; the CSRF
// check must let exactly that through (with `Sec-Fetch-Site: same-origin`) or nobody can sign in.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import { chromium, type Browser } from 'playwright-core';
import { TEST_PASSWORD } from '../../../test/support/app.ts';
import { BROWSER_SKIP, CHROMIUM } from '../../../test/support/browser.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { freePort } from '../../../test/support/ports.ts';
import { application, authorizationRequest, discover, enrolTotp, newUser, startProvider, totpCode, type Running } from './openid-test-fixture.ts';



peerSuite('the hosted sign-in page in a real browser (issue 17)', BROWSER_SKIP, () => {
  let r: Running;
  let browser: Browser;
  // The relying party's callback: a real listener (Chromium refuses the other tests' port 9 as unsafe,
  // and Playwright's routing does not see the targets of redirects). It records what it receives.
  let callbackServer: Server;
  let REDIRECT_URI = '';
  const received: string[] = [];
  before(async () => {
    assert.ok(existsSync(CHROMIUM));
    r = await startProvider('browser-op');
    const port = await freePort();
    REDIRECT_URI = `http://127.0.0.1:${String(port)}/callback`;
    callbackServer = createServer((request, response) => {
      received.push(new URL(request.url ?? '/', REDIRECT_URI).href);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });
  after(async () => {
    await browser.close();
    await new Promise((resolve) => callbackServer.close(resolve));
    await r.t.close();
  });

  it('signs a user in: the form post (Origin null, Sec-Fetch-Site same-origin) passes the CSRF check and the app gets its code', async () => {
    const app = await application(r, { redirect_uris: [REDIRECT_URI] });
    const config = await discover(r, app);
    const email = await newUser(r, 'chromium');
    const request = await authorizationRequest(config, { redirect_uri: REDIRECT_URI });
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const posts: Promise<Record<string, string>>[] = [];
    page.on('request', (sent) => {
      // allHeaders: what went on the wire, Fetch Metadata included.
      if (sent.method() === 'POST' && sent.url().startsWith(r.issuer)) posts.push(sent.allHeaders());
    });
    await page.goto(request.url.href);
    assert.equal(await page.locator('input[name="password"]').count(), 1, await page.content());
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.locator('form:has(input[name="password"]) [type="submit"]').first().click()]);
    const url = new URL(received.find((href) => href.startsWith(REDIRECT_URI)) ?? page.url());
    assert.ok(url.searchParams.get('code'), url.href);
    // What made this test necessary: the browser's own headers on the form post.
    const sent = await Promise.all(posts);
    assert.ok(sent[0] !== undefined);
    assert.deepEqual({ origin: sent[0]['origin'], site: sent[0]['sec-fetch-site'] }, { origin: 'null', site: 'same-origin' });

    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(tokens.claims()?.['email'], email);
    await context.close();
  });

  it('an example app redirects to Parapet; the user signs in with password + TOTP on the hosted pages and lands back signed in (amr pwd otp)', async () => {
    const app = await application(r, { redirect_uris: [REDIRECT_URI] });
    const config = await discover(r, app);
    const email = await newUser(r, 'chromium-totp');
    const secret = await enrolTotp(r, email);
    const request = await authorizationRequest(config, { redirect_uri: REDIRECT_URI, acr_values: 'urn:parapet:acr:mfa' });
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(request.url.href);
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', TEST_PASSWORD);
    await page.locator('form:has(input[name="password"]) [type="submit"]').first().click();
    // The second-factor page: the code form, posted by the browser.
    await page.waitForSelector('input[name="code"]');
    assert.equal(await page.locator('input[name="password"]').count(), 0);
    await page.fill('input[name="code"]', totpCode(secret, 1));
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.locator('form:has(input[name="code"]) [type="submit"]').first().click()]);
    const url = new URL(page.url());
    assert.ok(url.searchParams.get('code'), url.href);
    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(tokens.claims()?.['email'], email);
    assert.deepEqual(tokens.claims()?.['amr'], ['pwd', 'otp']);
    assert.equal(tokens.claims()?.['acr'], 'urn:parapet:acr:mfa');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
