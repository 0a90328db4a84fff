// The hosted sign-in with a passkey as the second factor, in headless Chromium with a virtual
// authenticator (CDP WebAuthn): an app asks for phishing-resistant MFA (acr_values
// urn:parapet:acr:phr), the user types their password on Parapet's page, answers with the passkey,
// and the app's ID token says so (amr hwk, acr phr). Parapet is reached as http://localhost:<port>:
// a secure context, and a host name WebAuthn accepts as RP ID (an IP address is not).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestApp, TEST_PASSWORD } from '../../../test/support/app.ts';
import { BROWSER_SKIP, CHROMIUM } from '../../../test/support/browser.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { freePort } from '../../../test/support/ports.ts';
import { seedOrg } from '../oauth/oauth-test-fixture.ts';
import { ACR_PHR } from './openid-provider.ts';
import { application, authorizationRequest, discover, newUser, type Running } from './openid-test-fixture.ts';

peerSuite('the hosted sign-in with a passkey, in a real browser (issue 17)', BROWSER_SKIP, () => {
  let r: Running;
  let browser: Browser;
  let callbackServer: Server;
  let REDIRECT_URI = '';
  const received: string[] = [];
  before(async () => {
    assert.ok(existsSync(CHROMIUM));
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const t = await createTestApp({ env: { PARAPET_PORT: String(port), PARAPET_PUBLIC_URL: issuer } });
    await t.app.http.listen({ port, host: 'localhost' });
    const org = await seedOrg(t, 'passkey-op');
    const env = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments`, payload: { name: 'production', kind: 'production' }, headers: { cookie: org.cookie } });
    assert.equal(env.statusCode, 201, env.body);
    r = { t, issuer, org, environmentId: env.json<{ id: string }>().id };
    const callbackPort = await freePort();
    REDIRECT_URI = `http://127.0.0.1:${String(callbackPort)}/callback`;
    callbackServer = createServer((request, response) => {
      received.push(new URL(request.url ?? '/', REDIRECT_URI).href);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => callbackServer.listen(callbackPort, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [`--host-resolver-rules=MAP localhost 127.0.0.1`] });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => callbackServer.close(resolve));
    await r.t.close();
  });

  /** Signs in through the API and registers a passkey on the virtual authenticator, from a page of Parapet's origin. */
  async function registerPasskey(page: Page, email: string): Promise<void> {
    await page.goto(`${r.issuer}/.well-known/openid-configuration`);
    const status = await page.evaluate(async ({ email, password }) => {
      const b64 = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0));
      const enc = (buffer: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const login = await post('/api/v1/auth/login', { email, password });
      if (!login.ok) return `login ${login.status}`;
      const options = (await (await post('/api/v1/auth/passkeys/registration/options', {})).json()) as { challenge: string; user: { id: string; name: string; displayName: string }; excludeCredentials?: { id: string }[] } & Record<string, unknown>;
      const credential = (await navigator.credentials.create({ publicKey: { ...options, challenge: b64(options.challenge), user: { ...options.user, id: b64(options.user.id) }, excludeCredentials: [] } as unknown as PublicKeyCredentialCreationOptions })) as PublicKeyCredential;
      const response = credential.response as AuthenticatorAttestationResponse;
      const verified = await post('/api/v1/auth/passkeys/registration/verify', {
        name: 'Virtual key',
        response: { id: credential.id, rawId: enc(credential.rawId), type: credential.type, clientExtensionResults: {}, response: { clientDataJSON: enc(response.clientDataJSON), attestationObject: enc(response.attestationObject), transports: response.getTransports() } },
      });
      return `verify ${verified.status} ${verified.ok ? '' : await verified.text()}`;
    }, { email, password: TEST_PASSWORD });
    assert.equal(status.trim(), 'verify 201');
    // Sign out of that session: the hosted sign-in starts from nothing.
    await page.context().clearCookies();
  }

  it('AUTH-3: an app demanding phishing-resistant MFA gets its code after the password and the passkey; the ID token says amr hwk, acr phr', async () => {
    const app = await application(r, { redirect_uris: [REDIRECT_URI] });
    const config = await discover(r, app);
    const email = await newUser(r, 'passkey-op');
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await registerPasskey(page, email);
    assert.equal((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length, 1);

    const request = await authorizationRequest(config, { redirect_uri: REDIRECT_URI, acr_values: ACR_PHR });
    await page.goto(request.url.href);
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', TEST_PASSWORD);
    await page.locator('form:has(input[name="password"]) [type="submit"]').click();
    // The second-factor page: a passkey button (shown by the same-origin script) and no code field,
    // since the app demands a phishing-resistant factor.
    await page.locator('#passkey-form button').waitFor({ state: 'visible' });
    assert.equal(await page.locator('input[name="code"]').count(), 0);
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.click('#passkey-form button')]);
    const url = new URL(received.find((href) => href.startsWith(REDIRECT_URI)) ?? page.url());
    assert.ok(url.searchParams.get('code'), url.href);
    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const claims = tokens.claims();
    assert.equal(claims?.['acr'], ACR_PHR);
    const amr = claims?.['amr'] as string[];
    assert.ok(amr.includes('pwd') && (amr.includes('hwk') || amr.includes('swk')), JSON.stringify(amr));
    assert.deepEqual(problems, []);
    await context.close();
  });
});
