// Forced MFA enrolment on the hosted sign-in (issue 17): an organization whose security policy
// requires a second factor gets no code for a password-only sign-in to its applications; an account
// without a factor enrols an authenticator app on the hosted pages, then continues.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { TEST_PASSWORD } from '../../../test/support/app.ts';
import { ACR_MFA } from './openid-provider.ts';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, totpCode, type Running } from './openid-test-fixture.ts';

describe("forced MFA enrolment: the application's organization requires a second factor", () => {
  let r: Running;
  let config: oidc.Configuration;
  before(async () => {
    r = await startProvider('forced-mfa');
    config = await discover(r, await application(r));
    // The policy row as PUT …/security-policy stores it (the route itself wants an MFA session of the caller).
    await r.t.transactor.withTenant(r.org.orgId, (tx) => tx.insertInto('organization_security_policies').values({ tenant_id: r.org.orgId, mfa_required: true, updated_at: new Date() } as never).execute());
  });
  after(async () => {
    await r.t.close();
  });

  /** The hosted page's form action ending in `/<step>`. */
  const actionOf = (page: string, step: string) => new RegExp(`action="([^"]+/${step})"`).exec(page)?.[1];

  it('a password-only account enrols an authenticator app on the hosted pages (a wrong code refused), sees its recovery codes once, gives the next code and lands back with amr pwd otp', async () => {
    const email = await newUser(r, 'forced');
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const first = await browser.follow(request.url.href);
    const login = actionOf(await first.response.text(), 'login');
    assert.ok(login);
    const enrol = await browser.follow(login, { form: { email, password: TEST_PASSWORD } });
    assert.ok(enrol.url.startsWith(r.issuer), `no code after the password alone: ${enrol.url}`);
    const enrolPage = await enrol.response.text();
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrolPage)?.[1];
    const confirm = actionOf(enrolPage, 'enrol-totp');
    assert.ok(secret && confirm, enrolPage);
    const wrong = await browser.request(confirm, { form: { code: totpCode(secret, 20) } });
    assert.equal(wrong.status, 401);
    const confirmed = await browser.follow(confirm, { form: { code: totpCode(secret, 0) } });
    const confirmedPage = await confirmed.response.text();
    assert.match(confirmedPage, /id="recovery-codes"/);
    const stepUp = actionOf(confirmedPage, 'step-up');
    assert.ok(stepUp, confirmedPage);
    const done = await browser.follow(stepUp, { form: { code: totpCode(secret, 1), method: 'totp' } });
    assert.ok(done.url.startsWith(`${REDIRECT_URI}?code=`), done.url);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.deepEqual(tokens.claims()?.['amr'], ['pwd', 'otp']);
    assert.equal(tokens.claims()?.['acr'], ACR_MFA);
  });

  it('a password-only session gets no code: not silently (prompt=none), not by posting the consent step', async () => {
    const email = await newUser(r, 'forced-skip');
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const answer = await signIn(r, browser, request.url, email);
    assert.ok(answer.startsWith(r.issuer), `the enrolment page, no code: ${answer}`);
    const uid = /\/oidc\/interaction\/([A-Za-z0-9_-]+)/.exec(answer)?.[1];
    assert.ok(uid, answer);
    const skipped = await browser.follow(`${r.issuer}/oidc/interaction/${uid}/consent`, { form: { allow: 'yes' } });
    assert.equal(new URL(skipped.url).searchParams.get('code'), null, skipped.url);
    const none = await authorizationRequest(config, { prompt: 'none' });
    const silent = await browser.follow(none.url.href);
    assert.equal(new URL(silent.url).searchParams.get('code'), null, silent.url);
    assert.equal(new URL(silent.url).searchParams.get('error'), 'login_required', silent.url);
  });
});
