// acr_values asking for phishing-resistant MFA (docs/openid-provider.md, "Step-up"): a code only
// after a passkey or security key was used in this sign-in. A TOTP or recovery code — which a
// phishing page can relay — never satisfies it, whichever route reaches the end of the
// interaction. (The passkey path itself runs in Chromium: hosted-passkey-browser.test.ts.)
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type * as oidc from 'openid-client';
import { ACR_MFA, ACR_PHR, PHISHING_RESISTANT_ACRS } from './openid-provider.ts';
import { application, authorizationRequest, Browser, discover, newUser, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';
import { TEST_PASSWORD } from '../../../test/support/app.ts';

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, `offsetSteps` steps from now. */
function totpCode(secret: string, offsetSteps: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offsetSteps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const PHR = { acr_values: ACR_PHR };
const CALLBACK = 'http://127.0.0.1:9/callback?';

describe('OpenID Provider: acr_values for phishing-resistant MFA (passkeys)', () => {
  let r: Running;
  let app: CreatedApplication;
  let config: oidc.Configuration;
  before(async () => {
    r = await startProvider('op-phr');
    app = await application(r, { first_party: false });
    config = await discover(r, app);
  });
  after(async () => {
    await r.t.close();
  });

  /** A user with a password and an authenticator app (no passkey), signed in on `browser` with both. */
  async function totpUser(label: string) {
    const email = await newUser(r, label);
    const browser = new Browser(r.issuer);
    const first = await authorizationRequest(config);
    const consent = await signIn(r, browser, first.url, email);
    assert.ok(consent.startsWith(r.issuer), consent);
    const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const started = await r.t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie, origin: r.issuer } });
    assert.equal(started.statusCode, 201, started.body);
    const { secret } = started.json<{ secret: string }>();
    const confirmed = await r.t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totpCode(secret, 0) }, headers: { cookie, origin: r.issuer } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    return { email, browser, secret };
  }

  /** The hosted page's form action ending in `/<step>`. */
  function action(page: string, step: string): string {
    const found = new RegExp(`action="([^"]+/${step})"`).exec(page)?.[1];
    assert.ok(found, page);
    return found;
  }

  it('discovery offers the phishing-resistant acr values beside the MFA ones', () => {
    const supported = config.serverMetadata().acr_values_supported ?? [];
    for (const value of [...PHISHING_RESISTANT_ACRS, ACR_MFA]) assert.ok(supported.includes(value), value);
  });

  it('password and TOTP do not satisfy it: after the password the account has no passkey, so the app gets unmet_authentication_requirements and no code', async () => {
    const { email } = await totpUser('phr-totp');
    const request = await authorizationRequest(config, PHR);
    const answer = await signIn(r, new Browser(r.issuer), request.url, email);
    assert.ok(answer.startsWith(CALLBACK), answer);
    assert.equal(new URL(answer).searchParams.get('code'), null, answer);
    assert.equal(new URL(answer).searchParams.get('error'), 'unmet_authentication_requirements', answer);
  });

  it('a TOTP code posted straight to the interaction of a phishing-resistant request (bypassing the page) issues no code', async () => {
    const { email, secret } = await totpUser('phr-bypass');
    // The interaction of a plain MFA request reaches the second-factor step (the account has TOTP)…
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config, PHR);
    const shown = await browser.follow(request.url.href);
    assert.ok(shown.url.startsWith(r.issuer), shown.url);
    const uid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)\/login/.exec(await shown.response.text())?.[1];
    assert.ok(uid);
    // …a pending sign-in is made for the account through another interaction (acr mfa, which
    // offers TOTP), in another cookie jar (the test browser keeps one cookie per name)…
    const other = new Browser(r.issuer);
    const mfaRequest = await authorizationRequest(config, { acr_values: ACR_MFA });
    const mfaShown = await other.follow(mfaRequest.url.href);
    const mfaPage = await other.follow(action(await mfaShown.response.text(), 'login'), { form: { email, password: TEST_PASSWORD } });
    assert.ok(action(await mfaPage.response.text(), 'mfa'));
    const pending = [...other.jar].filter(([name]) => !name.startsWith('_'));
    assert.equal(pending.length, 1, JSON.stringify(pending.map(([name]) => name)));
    for (const [name, value] of pending) browser.jar.set(name, value);
    // …and its pending cookie is used to post a correct TOTP code to the phishing-resistant interaction.
    const posted = await browser.follow(`${r.issuer}/oidc/interaction/${uid}/mfa`, { form: { code: totpCode(secret, 1), method: 'totp' } });
    assert.ok(posted.url.startsWith(CALLBACK), posted.url);
    assert.equal(new URL(posted.url).searchParams.get('code'), null, posted.url);
    assert.equal(new URL(posted.url).searchParams.get('error'), 'unmet_authentication_requirements', posted.url);
  });

  it('a TOTP session does not carry over: prompt=none answers login_required, and posting the consent step issues no code', async () => {
    const { browser, secret } = await totpUser('phr-session');
    // An MFA (TOTP) session, stepped up from the password session by the factor alone: acr mfa is met…
    const mfa = await authorizationRequest(config, { acr_values: ACR_MFA });
    const shown = await browser.follow(mfa.url.href);
    const consent = await browser.follow(action(await shown.response.text(), 'step-up'), { form: { code: totpCode(secret, 1), method: 'totp' } });
    const granted = await browser.follow(action(await consent.response.text(), 'consent'), { form: { allow: 'yes' } });
    assert.ok(granted.url.startsWith(`${CALLBACK}code=`), granted.url);
    // …but not the phishing-resistant demand.
    const none = await authorizationRequest(config, { ...PHR, prompt: 'none' });
    const noneAnswer = await browser.follow(none.url.href);
    assert.equal(new URL(noneAnswer.url).searchParams.get('error'), 'login_required', noneAnswer.url);
    const request = await authorizationRequest(config, PHR);
    const page = await browser.follow(request.url.href);
    assert.ok(page.url.startsWith(r.issuer), page.url);
    const uid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)\/login/.exec(await page.response.text())?.[1];
    assert.ok(uid, 'the sign-in form is shown again, not a consent page');
    const skipped = await browser.follow(`${r.issuer}/oidc/interaction/${uid}/consent`, { form: { allow: 'yes' } });
    assert.equal(new URL(skipped.url).searchParams.get('code'), null, skipped.url);
    assert.equal(new URL(skipped.url).searchParams.get('error'), 'unmet_authentication_requirements', skipped.url);
  });

  it('a forged passkey answer is refused as a wrong second factor: the page again, no code', async () => {
    const { email } = await totpUser('phr-forged');
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config, { acr_values: ACR_MFA });
    const shown = await browser.follow(request.url.href);
    const mfaPage = await browser.follow(action(await shown.response.text(), 'login'), { form: { email, password: TEST_PASSWORD } });
    const mfaAction = action(await mfaPage.response.text(), 'mfa');
    for (const forged of ['{"id":"x","rawId":"x","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}', 'not json', '[1]', '{"__proto__":{"admin":true}}']) {
      const answer = await browser.follow(mfaAction, { form: { method: 'webauthn', passkey_response: forged } });
      assert.equal(answer.response.status, 401, forged);
      assert.ok(answer.url.startsWith(r.issuer), answer.url);
    }
  });
});
