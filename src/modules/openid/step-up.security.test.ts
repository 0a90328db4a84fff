// acr_values step-up (issue 17): an application asking for a second factor gets a code only after
// one was used in this sign-in, and `amr`/`acr` in the ID token say what was done.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { ACR_MFA, ACR_PWD } from './openid-provider.ts';
import { application, authorizationRequest, Browser, discover, newUser, signIn, startProvider, totpCode, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const MFA = { acr_values: ACR_MFA };

describe('OpenID Provider: acr_values step-up to a second factor', () => {
  let r: Running;
  let app: CreatedApplication;
  let config: oidc.Configuration;
  before(async () => {
    r = await startProvider('op-stepup');
    app = await application(r);
    config = await discover(r, app);
  });
  after(async () => {
    await r.t.close();
  });

  /** A user signed in on `browser` with a password only, who then enrols an authenticator app. */
  async function passwordSessionThenTotp(label: string) {
    const email = await newUser(r, label);
    const browser = new Browser(r.issuer);
    const first = await authorizationRequest(config);
    assert.ok((await signIn(r, browser, first.url, email)).startsWith('http://127.0.0.1:9/callback?code='));
    const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const started = await r.t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: { cookie, origin: r.issuer } });
    assert.equal(started.statusCode, 201, started.body);
    const { secret } = started.json<{ secret: string }>();
    const confirmed = await r.t.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', payload: { code: totpCode(secret, 0) }, headers: { cookie, origin: r.issuer } });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    return { email, browser, secret };
  }

  it('a password-only session is not enough: the hosted sign-in asks for the second factor, and the ID token says amr otp, acr mfa', async () => {
    const { browser, secret } = await passwordSessionThenTotp('stepup');
    // Without acr_values the existing session signs in silently (amr pwd).
    const plain = await authorizationRequest(config);
    const silent = await browser.follow(plain.url.href);
    assert.ok(silent.url.startsWith('http://127.0.0.1:9/callback?code='), silent.url);
    const plainTokens = await oidc.authorizationCodeGrant(config, new URL(silent.url), { pkceCodeVerifier: plain.verifier, expectedState: plain.state, expectedNonce: plain.nonce });
    assert.deepEqual(plainTokens.claims()?.['amr'], ['pwd']);
    assert.equal(plainTokens.claims()?.['acr'], ACR_PWD);

    // prompt=none cannot step up: login_required, no code.
    const none = await authorizationRequest(config, { ...MFA, prompt: 'none' });
    const noneAnswer = await browser.follow(none.url.href);
    assert.equal(new URL(noneAnswer.url).searchParams.get('error'), 'login_required', noneAnswer.url);

    // With acr_values=mfa over the live password session: only the second factor is asked for.
    const request = await authorizationRequest(config, MFA);
    const shown = await browser.follow(request.url.href);
    assert.ok(shown.url.startsWith(r.issuer), shown.url);
    const page = await shown.response.text();
    assert.doesNotMatch(page, /name="password"/, 'no password again');
    const stepUpAction = /action="([^"]+\/step-up)"/.exec(page)?.[1];
    assert.ok(stepUpAction, page);
    const done = await browser.follow(stepUpAction, { form: { code: totpCode(secret, 1), method: 'totp' } });
    assert.ok(done.url.startsWith('http://127.0.0.1:9/callback?code='), done.url);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.deepEqual(tokens.claims()?.['amr'], ['pwd', 'otp']);
    assert.equal(tokens.claims()?.['acr'], ACR_MFA);
    assert.ok(config.serverMetadata().acr_values_supported?.includes(ACR_MFA));
  });

  it('the step-up cannot be skipped: posting consent with the password-only session, or signing in to an account without a second factor, issues no code', async () => {
    const { browser } = await passwordSessionThenTotp('stepup-skip');
    const request = await authorizationRequest(config, MFA);
    const shown = await browser.follow(request.url.href);
    assert.ok(shown.url.startsWith(r.issuer), shown.url);
    const uid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)\/step-up/.exec(await shown.response.text())?.[1];
    assert.ok(uid);
    // Replaying the interaction's consent step with the old (password-only) Parapet session.
    const skipped = await browser.follow(`${r.issuer}/oidc/interaction/${uid}/consent`, { form: { allow: 'yes' } });
    assert.equal(new URL(skipped.url).searchParams.get('code'), null, skipped.url);
    assert.equal(new URL(skipped.url).searchParams.get('error'), 'unmet_authentication_requirements', skipped.url);

    // An account with no second factor cannot satisfy acr_values=mfa with its password: it is sent to
    // enrol one (forced enrolment), and posting the consent step instead issues no code.
    const email = await newUser(r, 'stepup-nofactor');
    const other = new Browser(r.issuer);
    const second = await authorizationRequest(config, MFA);
    const answer = await signIn(r, other, second.url, email);
    assert.ok(answer.startsWith(`${r.issuer}/oidc/interaction/`), answer);
    const otherUid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)/.exec(answer)?.[1];
    const consented = await other.follow(`${r.issuer}/oidc/interaction/${otherUid ?? ''}/consent`, { form: { allow: 'yes' } });
    assert.equal(new URL(consented.url).searchParams.get('code'), null, consented.url);
    assert.equal(new URL(consented.url).searchParams.get('error'), 'unmet_authentication_requirements', consented.url);
  });

  it('step-up by the second factor only: a wrong code, a post without the session, or a code for a passkey demand issue no code; the right code does, and the first sign-in\u2019s tokens keep working', async () => {
    const { browser, secret } = await passwordSessionThenTotp('stepup-only');
    // The app signed in earlier (password only) holds a refresh token of the first session.
    const before = await authorizationRequest(config);
    const silent = await browser.follow(before.url.href);
    const earlier = await oidc.authorizationCodeGrant(config, new URL(silent.url), { pkceCodeVerifier: before.verifier, expectedState: before.state, expectedNonce: before.nonce });

    const request = await authorizationRequest(config, MFA);
    const shown = await browser.follow(request.url.href);
    const action = /action="([^"]+\/step-up)"/.exec(await shown.response.text())?.[1];
    assert.ok(action);
    // A wrong code: the page again (401), no code.
    const wrong = await browser.request(action, { form: { code: totpCode(secret, 20), method: 'totp' } });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /step-up/);
    // The same post from a browser without the Parapet session (only the interaction cookie): refused.
    const stranger = new Browser(r.issuer);
    for (const [name, value] of browser.jar) if (!name.startsWith('parapet')) stranger.jar.set(name, value);
    const anonymous = await stranger.request(action, { form: { code: totpCode(secret, 0), method: 'totp' } });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('location'), null);
    // The right code: a code whose ID token says the factor was used.
    const done = await browser.follow(action, { form: { code: totpCode(secret, 1), method: 'totp' } });
    assert.ok(done.url.startsWith('http://127.0.0.1:9/callback?code='), done.url);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.deepEqual(tokens.claims()?.['amr'], ['pwd', 'otp']);
    assert.equal(tokens.claims()?.['acr'], ACR_MFA);
    // The step-up opened a new session beside the first: the first sign-in's refresh token still works.
    const refreshed = await oidc.refreshTokenGrant(config, earlier.refresh_token ?? '');
    assert.ok(refreshed.access_token);

    // An application asking for a passkey (phishing resistance): a TOTP code posted to step-up is no answer.
    const phr = await authorizationRequest(config, { acr_values: 'urn:parapet:acr:phr' });
    const phrShown = await browser.follow(phr.url.href);
    const phrUid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)/.exec(phrShown.url)?.[1];
    assert.ok(phrUid, phrShown.url);
    const phrAnswer = await browser.follow(`${r.issuer}/oidc/interaction/${phrUid}/step-up`, { form: { code: totpCode(secret, 0), method: 'totp' } });
    assert.equal(new URL(phrAnswer.url).searchParams.get('code'), null, phrAnswer.url);
  });
});
