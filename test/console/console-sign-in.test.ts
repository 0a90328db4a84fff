// The console's sign-in in a real browser (Debian's chromium, driven by playwright-core over CDP):
// password and second factor, recovery codes, forced enrolment when an organization requires MFA,
// and passkeys through Chromium's virtual authenticator. The app listens on a loopback port and is
// reached as http://localhost:<port> — a secure context, and the RP ID WebAuthn needs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PLATFORM_TENANT_ID } from '../../src/modules/audit/index.ts';
import { findUserById } from '../../src/modules/identity/identity-store.ts';
import { base32Decode, totp } from '../../src/modules/identity/mfa/totp.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { addMember, createOrg } from '../support/access.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { peerSuite } from '../support/peer-suite.ts';
import { screenshot } from '../support/browser.ts';

const CHROMIUM = '/usr/bin/chromium';
// CI sets PARAPET_REQUIRE_BROWSER=1 (.ci/run installs chromium): there a missing browser fails.
const REQUIRED = process.env['PARAPET_REQUIRE_BROWSER'] === '1';
const SKIP = existsSync(CHROMIUM) || REQUIRED ? false : `no browser at ${CHROMIUM} (apt-get install chromium; PARAPET_REQUIRE_BROWSER=1 makes this a failure)`;

type Org = Awaited<ReturnType<typeof createOrg>>;
const OPEN_POLICY = { mfa_required: false, allowed_mfa_methods: ['totp', 'webauthn'], session_idle_minutes: null, session_absolute_hours: null, ip_allowlist: [] };

peerSuite('console sign-in in a real browser (AUTH-2, AUTH-3)', SKIP, () => {
  // The app's clock is the real time, moved on by hand: each TOTP code is accepted once per 30 s step.
  const clock = manualClock(new Date());
  let t: TestApp;
  let browser: Browser;
  let baseURL: string;
  let counter = 0;

  const code = (secret: string) => totp(base32Decode(secret), clock.now());
  function nextStep(): void {
    clock.advance(30_000);
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `PARAPET_REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}`);
    const port = await freePort();
    baseURL = `http://localhost:${port}`;
    t = await createTestApp({ clock, env: { PARAPET_PUBLIC_URL: baseURL } });
    await t.app.http.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--host-resolver-rules=MAP localhost 127.0.0.1'] });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A fresh browser profile; every page error and CSP violation it reports fails the test at `done`. */
  async function openPage(): Promise<{ page: Page; done: () => Promise<void> }> {
    const context = await browser.newContext({ baseURL });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    return {
      page,
      done: async () => {
        await context.close();
        assert.deepEqual(problems, []);
      },
    };
  }

  /** A session signed in now with `authMethods` (to change a policy without locking oneself out). */
  async function freshSession(userId: string, authMethods: string[]): Promise<string> {
    const user = await t.transactor.withPlatform((tx) => findUserById(tx, userId));
    assert.ok(user);
    const { token } = await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => t.app.services.sessions.create(tx, user, { ip: '127.0.0.1', userAgent: 'test', authMethods }), user.id);
    return `parapet_session=${token}`;
  }

  async function orgRequiringMfa(label: string, methods: string[], adminAmr: string[]): Promise<Org> {
    const org = await createOrg(t, label);
    const cookie = await freshSession(org.admin.userId, adminAmr);
    const put = await t.inject({ method: 'PUT', url: `/api/v1/organizations/${org.orgId}/security-policy`, headers: { cookie }, payload: { ...OPEN_POLICY, mfa_required: true, allowed_mfa_methods: methods } });
    assert.equal(put.statusCode, 200, put.body);
    return org;
  }

  /** A member of `org` with the viewer role (may read the organization) and no second factor. */
  async function member(org: Org, label: string): Promise<string> {
    const email = `${label}-${++counter}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    await addMember(t, org.orgId, user.id);
    const cookie = await freshSession(org.admin.userId, ['pwd', 'otp', 'hwk', 'mfa']);
    const bound = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/bindings`, headers: { cookie }, payload: { principal: { type: 'user', id: user.id }, role: 'viewer' } });
    assert.equal(bound.statusCode, 201, bound.body);
    return email;
  }

  /** A user with a confirmed authenticator app (enrolled through the API) and its recovery codes. */
  async function userWithTotp(): Promise<{ email: string; secret: string; recoveryCodes: string[] }> {
    const email = `totp-${++counter}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    const cookie = await t.login(email, TEST_PASSWORD);
    const started = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie } });
    assert.equal(started.statusCode, 201, started.body);
    const secret = started.json<{ secret: string }>().secret;
    const confirmed = await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', headers: { cookie }, payload: { code: code(secret) } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    nextStep();
    return { email, secret, recoveryCodes: confirmed.json<{ recovery_codes: string[] }>().recovery_codes };
  }

  async function enterPassword(page: Page, email: string): Promise<void> {
    await page.goto('/login');
    await page.fill('#email', email);
    await page.fill('#password', TEST_PASSWORD);
    await page.click('#login button[type=submit]');
  }

  /** Submits a code in the second-factor step; returns the status of the answer. */
  async function enterCode(page: Page, value: string): Promise<number> {
    await page.fill('#code', value);
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/verify')), page.click('#second-factor button[type=submit]')]);
    return answer.status();
  }

  /** Waits until the message line matches `pattern`; returns its text. */
  async function message(page: Page, pattern: RegExp): Promise<string> {
    const line = page.locator('#message', { hasText: pattern });
    await line.waitFor();
    return (await line.textContent()) ?? '';
  }

  async function onConsoleAs(page: Page, email: string): Promise<void> {
    await page.waitForURL(`${baseURL}/console`);
    await page.locator('#who', { hasText: email }).waitFor();
  }

  const status = (page: Page, path: string) => page.evaluate(async (url) => (await fetch(url)).status, path);

  it('serves the sign-in page under the unchanged Content-Security-Policy (no inline script or style)', async () => {
    const { page, done } = await openPage();
    const response = await page.goto('/login');
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(await page.locator('script:not([src]), style, [style]').count(), 0);
    await done();
  });

  it('AUTH-2: a user with an authenticator app signs in with password and code; a wrong code shows the problem title, not JSON', async () => {
    const { email, secret } = await userWithTotp();
    const { page, done } = await openPage();
    await enterPassword(page, email);
    await page.waitForSelector('#second-factor:not([hidden])');
    assert.equal(await page.getAttribute('#code', 'autocomplete'), 'one-time-code');
    assert.equal(await page.getAttribute('#code', 'inputmode'), 'numeric');
    await screenshot(page, 'sign-in-second-factor');
    const wrong = String((Number(code(secret)) + 1) % 1_000_000).padStart(6, '0');
    await enterCode(page, wrong);
    const shown = await message(page, /second factor is incorrect/);
    assert.doesNotMatch(shown, /[{}]|invalid_mfa_code/);
    await enterCode(page, code(secret));
    await onConsoleAs(page, email);
    assert.equal(await status(page, '/api/v1/auth/session'), 200);
    await done();
  });

  it('AUTH-2: after four wrong codes the fifth try is held back with the time to wait; later the right code still signs in', async () => {
    const { email, secret } = await userWithTotp();
    const { page, done } = await openPage();
    await enterPassword(page, email);
    await page.waitForSelector('#second-factor:not([hidden])');
    for (let i = 0; i < 4; i++) {
      assert.equal(await enterCode(page, i % 2 === 0 ? '000000' : '999999'), 401);
      await message(page, /second factor is incorrect/);
    }
    assert.equal(await enterCode(page, code(secret)), 429);
    assert.match(await message(page, /Try again in \d+ s/), /^Too many failed sign-ins/);
    nextStep();
    await enterCode(page, code(secret));
    await onConsoleAs(page, email);
    await done();
  });

  it('AUTH-2: an expired pending sign-in sends the user back to the password step', async () => {
    const { email, secret } = await userWithTotp();
    const { page, done } = await openPage();
    await enterPassword(page, email);
    await page.waitForSelector('#second-factor:not([hidden])');
    clock.advance(6 * 60_000);
    await enterCode(page, code(secret));
    await message(page, /sign in again/);
    await page.waitForSelector('#login:not([hidden])');
    assert.equal(await page.isHidden('#second-factor'), true);
    await done();
  });

  it('AUTH-2: a recovery code completes the sign-in instead of the app code', async () => {
    const { email, recoveryCodes } = await userWithTotp();
    const { page, done } = await openPage();
    await enterPassword(page, email);
    await page.waitForSelector('#second-factor:not([hidden])');
    await page.click('#use-recovery');
    assert.equal(await page.textContent('#code-label'), 'Recovery code');
    assert.equal(await page.getAttribute('#code', 'inputmode'), 'text');
    await enterCode(page, recoveryCodes[0] ?? '');
    await onConsoleAs(page, email);
    await done();
  });

  it('AUTH-2: a member of an organization that requires MFA enrols an authenticator app at sign-in, stores ten recovery codes and is let in', async () => {
    const org = await orgRequiringMfa('forced-totp', ['totp', 'webauthn'], ['pwd', 'otp']);
    const email = await member(org, 'forced');
    const { page, done } = await openPage();
    await enterPassword(page, email);
    await page.waitForSelector('#enrol:not([hidden])');
    // The organization is named, with the methods it accepts.
    await page.locator('#enrol-organizations li', { hasText: 'Org forced-totp: an authenticator app or a passkey or security key' }).waitFor();
    // The password-only session is refused by the organization until a factor is enrolled.
    assert.equal(await status(page, `/api/v1/organizations/${org.orgId}`), 403);
    await page.click('#enrol-totp');
    await page.waitForSelector('#totp-setup:not([hidden])');
    const secret = ((await page.textContent('#totp-secret')) ?? '').replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.match((await page.textContent('#totp-uri')) ?? '', new RegExp(`^otpauth://totp/.*secret=${secret}`));
    await page.fill('#totp-code', code(secret));
    await page.click('#totp-setup button[type=submit]');
    await page.waitForSelector('#recovery:not([hidden])');
    const codes = await page.locator('#recovery-codes li').allTextContents();
    assert.equal(codes.length, 10);
    for (const recovery of codes) assert.match(recovery, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    await page.click('#recovery-done');
    await onConsoleAs(page, email);
    // The session was upgraded at confirmation: the organization lets it in now.
    assert.equal(await status(page, `/api/v1/organizations/${org.orgId}`), 200);
    await done();
  });

  it('AUTH-3: with a virtual authenticator, a member enrols a passkey at sign-in, then signs in with it as second factor and without a password', async () => {
    const org = await orgRequiringMfa('forced-passkey', ['webauthn'], ['pwd', 'hwk', 'user', 'mfa']);
    const email = await member(org, 'passkey');
    const { page, done } = await openPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // Forced enrolment: only a passkey is accepted, so no authenticator-app button.
    await enterPassword(page, email);
    await page.waitForSelector('#enrol:not([hidden])');
    assert.equal(await page.isHidden('#enrol-totp'), true);
    await page.click('#enrol-passkey');
    await page.fill('#passkey-name', 'Virtual key');
    await page.click('#passkey-setup button[type=submit]');
    await onConsoleAs(page, email);
    assert.equal(await status(page, `/api/v1/organizations/${org.orgId}`), 200);
    const credentials = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.credentials.length, 1);

    // Password, then the passkey as second factor (no code field for a passkey-only account).
    await page.click('#logout button[type=submit]');
    await page.waitForURL(`${baseURL}/login`);
    await enterPassword(page, email);
    await page.waitForSelector('#second-factor:not([hidden])');
    assert.equal(await page.isHidden('#code-fields'), true);
    await page.click('#use-passkey');
    await onConsoleAs(page, email);
    assert.equal(await status(page, `/api/v1/organizations/${org.orgId}`), 200);

    // Passwordless: the discoverable credential alone, with user verification.
    await page.click('#logout button[type=submit]');
    await page.waitForURL(`${baseURL}/login`);
    await page.click('#passkey-sign-in');
    await onConsoleAs(page, email);
    assert.equal(await status(page, `/api/v1/organizations/${org.orgId}`), 200);
    await done();
  });
});
