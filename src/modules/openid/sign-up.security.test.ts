import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { application, authorizationRequest, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider, type CreatedApplication, type Running } from './openid-test-fixture.ts';

const NEW_PASSWORD = 'a brand new passphrase for sign-up';

describe('OpenID Provider: self-service sign-up per environment', () => {
  let r: Running;
  let smtp: TestSmtp;
  let app: CreatedApplication;
  let config: oidc.Configuration;

  const settingsUrl = () => `/api/v1/organizations/${r.org.orgId}/projects/${r.org.projectId}/environments/${r.environmentId}/sign-up`;
  async function setSignUp(body: Record<string, unknown>) {
    const response = await r.t.inject({ method: 'PUT', url: settingsUrl(), payload: body, headers: { cookie: r.org.cookie } });
    assert.equal(response.statusCode, 200, response.body);
  }

  /** Opens an authorization request in a new browser; answers the browser and the interaction path. */
  async function interaction(): Promise<{ browser: Browser; path: string; page: string }> {
    const browser = new Browser(r.issuer);
    const request = await authorizationRequest(config);
    const first = await browser.follow(request.url.href);
    assert.equal(first.response.status, 200);
    return { browser, path: new URL(first.url).pathname, page: await first.response.text() };
  }

  async function signUp(email: string, password = NEW_PASSWORD) {
    const { browser, path } = await interaction();
    const response = await browser.request(`${path}/sign-up`, { form: { email, password } });
    return { status: response.status, text: await response.text() };
  }

  const verify = (token: string) => new Browser(r.issuer).request('/oidc/sign-up/verify', { form: { token } });
  const codeOf = (mail: { text: string }) => /paste this code on the confirmation page: (\S+)/.exec(mail.text)?.[1] ?? '';

  before(async () => {
    smtp = await startTestSmtp();
    r = await startProvider('sign-up', smtp.env);
    app = await application(r);
    config = await discover(r, app);
  });
  after(async () => {
    await r.t.close();
    await smtp.close();
  });

  it('is off by default: no "Create account" link, and the sign-up page and post are refused', async () => {
    const read = await r.t.inject({ method: 'GET', url: settingsUrl(), headers: { cookie: r.org.cookie } });
    assert.deepEqual(read.json(), { mode: 'off', allowed_domains: [] });
    const { browser, path, page } = await interaction();
    assert.doesNotMatch(page, /Create account/);
    assert.equal((await browser.request(`${path}/sign-up`)).status, 403);
    const posted = await browser.request(`${path}/sign-up`, { form: { email: `off-${crypto.randomUUID()}@example.com`, password: NEW_PASSWORD } });
    assert.equal(posted.status, 403);
    assert.equal(((await posted.json()) as { code: string }).code, 'sign_up_not_allowed');
  });

  it('invite-only refuses self-service sign-up too', async () => {
    await setSignUp({ mode: 'invite_only' });
    const answer = await signUp(`invite-${crypto.randomUUID()}@example.com`);
    assert.equal(answer.status, 403);
    assert.match(answer.text, /sign_up_not_allowed/);
  });

  it('open: the link shows, a new address gets a verification mail, and the link creates an account that signs in through the code flow', async () => {
    await setSignUp({ mode: 'open' });
    const { page } = await interaction();
    assert.match(page, /Create account/);
    const email = `new-${crypto.randomUUID()}@example.com`;
    const answer = await signUp(email);
    assert.equal(answer.status, 200);
    assert.match(answer.text, /Check your email/);
    // No account before the address is confirmed.
    const request = await authorizationRequest(config);
    const early = await signIn(r, new Browser(r.issuer), request.url, email).catch(() => 'refused');
    assert.ok(!early.startsWith(`${REDIRECT_URI}?code=`), early);
    const mail = await mailTo(r.t, smtp, email, /create your/);
    const code = codeOf(mail);
    assert.ok(mail.text.includes(`/oidc/sign-up/verify#token=${code}`));
    const verified = await verify(code);
    assert.equal(verified.status, 200);
    assert.match(await verified.text(), /Your account is ready/);
    const again = await authorizationRequest(config);
    const callback = await signInWith(new Browser(r.issuer), again.url, email, NEW_PASSWORD);
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce });
    assert.equal(tokens.claims()?.['email'], email);
  });

  it('gives no account-existence oracle: an existing address gets the same answer, and no link', async () => {
    await setSignUp({ mode: 'open' });
    const existing = await newUser(r, 'exists');
    const fresh = `fresh-${crypto.randomUUID()}@example.com`;
    const a = await signUp(existing);
    const b = await signUp(fresh);
    assert.equal(a.status, b.status);
    const strip = (text: string) => text.replace(/\/oidc\/interaction\/[A-Za-z0-9_-]+/g, '');
    assert.equal(strip(a.text), strip(b.text));
    await mailTo(r.t, smtp, fresh, /create your/);
    assert.ok(!smtp.messages.some((m) => m.to.includes(existing)), 'the existing address was sent a sign-up link');
    // The organization's log does not say which: the truth is in the platform log only.
    const inbox = await r.t.transactor.withTenant(r.org.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    assert.ok(!JSON.stringify(inbox.map((row) => row.event)).includes(existing));
  });

  it('a verification link works once, and not after it expires', async () => {
    await setSignUp({ mode: 'open' });
    const email = `once-${crypto.randomUUID()}@example.com`;
    await signUp(email);
    const code = codeOf(await mailTo(r.t, smtp, email, /create your/));
    assert.equal((await verify(code)).status, 200);
    const replay = await verify(code);
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /invalid, used or expired/);

    const late = `late-${crypto.randomUUID()}@example.com`;
    await signUp(late);
    const lateCode = codeOf(await mailTo(r.t, smtp, late, /create your/));
    // The link's lifetime passes.
    await r.t.transactor.withTenant(r.org.orgId, (tx) => tx.updateTable('oidc_sign_ups').set({ expires_at: new Date(Date.now() - 1000) }).where('tenant_id', '=', r.org.orgId).where('email', '=', late).execute());
    assert.equal((await verify(lateCode)).status, 400);
    const lookup = await r.t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('email', '=', late).executeTakeFirst());
    assert.equal(lookup, undefined);
    // A forged code: another organization's id, an injected one, garbage. Refused (and counted:
    // after a few invalid links from one address, the links throttle answers 429).
    for (const forged of [`${crypto.randomUUID()}.${lateCode.split('.')[1] ?? ''}`, `${r.org.orgId}.' OR '1'='1aaaaaaaaaaaaaaaaaaa`, 'x']) assert.ok([400, 429].includes((await verify(forged)).status), forged);
  });

  it('refuses an address outside the allowed domains, and applies the password rules of every other path', async () => {
    await setSignUp({ mode: 'open', allowed_domains: ['Allowed.example.com'] });
    const refused = await signUp(`someone-${crypto.randomUUID()}@example.com`);
    assert.equal(refused.status, 403);
    assert.match(refused.text, /limited to some email domains/);
    // A sub-domain is not the domain.
    assert.equal((await signUp(`someone@evil.allowed.example.com`)).status, 403);
    const allowed = `ok-${crypto.randomUUID()}@allowed.example.com`;
    assert.equal((await signUp(allowed)).status, 200);
    const common = await signUp(`common-${crypto.randomUUID()}@allowed.example.com`, 'password1234');
    assert.equal(common.status, 400);
    const short = await signUp(`short-${crypto.randomUUID()}@allowed.example.com`, 'short');
    assert.equal(short.status, 400);
    const read = await r.t.inject({ method: 'GET', url: settingsUrl(), headers: { cookie: r.org.cookie } });
    assert.deepEqual(read.json(), { mode: 'open', allowed_domains: ['allowed.example.com'] });
    const bad = await r.t.inject({ method: 'PUT', url: settingsUrl(), payload: { mode: 'open', allowed_domains: ['not a domain'] }, headers: { cookie: r.org.cookie } });
    assert.equal(bad.statusCode, 400);
  });

  async function signInWith(browser: Browser, url: URL, email: string, password: string): Promise<string> {
    const first = await browser.follow(url.href);
    const action = /action="([^"]+\/login)"/.exec(await first.response.text())?.[1] ?? '';
    return (await browser.follow(action, { form: { email, password } })).url;
  }
});
