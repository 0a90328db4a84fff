import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { oidcIdp, testDns, type OidcIdp, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, stateCookie, verifiedDomain } from './sso-test-fixture-helpers.ts';

// AUTH-4 (issue 18): OIDC sign-in (code + PKCE, state, nonce) against a real OpenID Provider
// (oidc-provider) on a loopback port, and email domains proved through a real DNS server (dns2).
describe('sso: OIDC sign-in and verified domains (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let idp: OidcIdp & { allowRedirects(uris: string[]): void };
  let a: { orgId: string; admin: Member };
  let connectionId: string;
  let domain: string;

  before(async () => {
    dns = await testDns();
    idp = await oidcIdp({ amr: ['pwd', 'mfa'] });
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    a = await createOrg(t, 'oidc-a');
    const created = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/connections`, { name: 'Okta', protocol: 'oidc', default_role: 'viewer', oidc: { issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret } });
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json<{ id: string; oidc: { redirect_uri: string } }>();
    connectionId = body.id;
    idp.allowRedirects([body.oidc.redirect_uri]);
    domain = `oidc-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(t, dns, a, domain, connectionId);
  });
  after(async () => {
    await t.close();
    await idp.close();
    await dns.close();
  });

  /** Starts by email as the console's sign-in page would, and lets the IdP sign `email` in; returns the callback path and the state cookie. */
  async function signInAtIdp(email: string): Promise<{ callback: string; cookie: string }> {
    const started = await t.inject({ method: 'GET', url: `/sso/start?email=${encodeURIComponent(email)}` });
    assert.equal(started.statusCode, 302, started.body);
    const back = new URL(await idp.authorize(String(started.headers.location), email));
    return { callback: back.pathname + back.search, cookie: stateCookie(started).header };
  }

  it('AUTH-4: a user of a verified domain signs in through the organization\u2019s OpenID Provider: a session recording the IdP\u2019s amr, JIT membership, audited', async () => {
    const { callback, cookie } = await signInAtIdp(`dana@${domain}`);
    const done = await t.inject({ method: 'GET', url: callback, headers: { cookie } });
    assert.equal(done.statusCode, 303, done.body);
    const session = done.cookies.find((c) => c.name === 'parapet_session');
    assert.ok(session !== undefined);
    const me = await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: `parapet_session=${session.value}` } });
    const methods = me.json<{ session: { auth_methods: string[] } }>().session.auth_methods;
    assert.deepEqual(methods.slice(0, 2), ['sso', 'sso:oidc']);
    assert.ok(methods.includes('idp_amr:mfa'), methods.join(' '));
    // The IdP's MFA is recorded, not counted as Parapet's own second factor.
    assert.ok(!methods.includes('totp') && !methods.includes('webauthn'));
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie: `parapet_session=${session.value}` } })).statusCode, 200);
    assert.equal((await auditEvents(t, a.orgId, 'sso.user_provisioned')).length, 1);
  });

  it('AUTH-4: the OIDC client secret is stored encrypted (pk1.) and never returned', async () => {
    const read = await api(t, a.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/connections/${connectionId}`);
    assert.equal(read.statusCode, 200);
    assert.ok(!read.body.includes(idp.clientSecret));
    assert.equal(read.json<{ oidc: { has_client_secret: boolean } }>().oidc.has_client_secret, true);
    const row = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('sso_connections').select('oidc_client_secret_sealed').where('id', '=', connectionId).executeTakeFirstOrThrow());
    assert.match(row.oidc_client_secret_sealed ?? '', /^pk1\./);
    assert.ok(!t.logs.some((line) => line.includes(idp.clientSecret)));
  });

  it('AUTH-4: a callback without the browser\u2019s state cookie, or with another state, is refused (login CSRF)', async () => {
    const { callback } = await signInAtIdp(`erin@${domain}`);
    assertProblem(await t.inject({ method: 'GET', url: callback }), 401, 'sso_failed');
    const other = await signInAtIdp(`erin@${domain}`);
    assertProblem(await t.inject({ method: 'GET', url: callback, headers: { cookie: other.cookie } }), 401, 'sso_failed');
    const stripped = new URL(callback, 'http://x');
    stripped.searchParams.delete('state');
    assertProblem(await t.inject({ method: 'GET', url: stripped.pathname + stripped.search, headers: { cookie: other.cookie } }), 401, 'sso_failed');
    const reasons = (await auditEvents(t, a.orgId, 'sso.sign_in_refused')).map((e) => e.metadata['reason']);
    assert.ok(reasons.filter((r) => r === 'state_mismatch').length >= 3);
  });

  it('AUTH-4: a callback replayed after it signed in is refused (the state is single-use)', async () => {
    const { callback, cookie } = await signInAtIdp(`finn@${domain}`);
    assert.equal((await t.inject({ method: 'GET', url: callback, headers: { cookie } })).statusCode, 303);
    assertProblem(await t.inject({ method: 'GET', url: callback, headers: { cookie } }), 401, 'sso_failed');
  });

  it('AUTH-4: an ID token whose nonce is not the one this sign-in stored is refused', async () => {
    const { callback, cookie } = await signInAtIdp(`gus@${domain}`);
    await t.transactor.withTenant(a.orgId, (tx) => tx.updateTable('sso_login_states').set({ nonce: 'another-nonce' }).where('used_at', 'is', null).execute());
    assertProblem(await t.inject({ method: 'GET', url: callback, headers: { cookie } }), 401, 'sso_failed');
    assert.equal((await auditEvents(t, a.orgId, 'sso.sign_in_refused')).at(-1)?.metadata['reason'], 'nonce_mismatch');
  });

  it('AUTH-4: the domain lookup routes a verified domain to SSO and says nothing of accounts; an unverified domain routes nowhere', async () => {
    const yes = await t.inject({ method: 'GET', url: `/api/v1/sso/lookup?email=${encodeURIComponent(`nobody-${crypto.randomUUID()}@${domain}`)}` });
    assert.equal(yes.statusCode, 200, yes.body);
    assert.equal(yes.json<{ sso: boolean }>().sso, true);
    const claimed = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/domains`, { domain: `unproved-${crypto.randomUUID().slice(0, 8)}.example.org`, connection_id: connectionId });
    assert.equal(claimed.statusCode, 201);
    const name = claimed.json<{ domain: string }>().domain;
    assert.deepEqual((await t.inject({ method: 'GET', url: `/api/v1/sso/lookup?email=x@${name}` })).json(), { sso: false });
    assertProblem(await t.inject({ method: 'GET', url: `/sso/start?email=x@${name}` }), 404, 'not_found');
  });

  it('AUTH-4: a domain is verified only with its TXT record, and by one organization at most (a second claimant cannot verify it)', async () => {
    const claimed = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/domains`, { domain: `nodns-${crypto.randomUUID().slice(0, 8)}.example.org` });
    assertProblem(await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/domains/${claimed.json<{ id: string }>().id}/verify`), 409, 'domain_not_verified');
    const b = await createOrg(t, 'oidc-b');
    const second = await api(t, b.admin, 'POST', `/api/v1/organizations/${b.orgId}/sso/domains`, { domain });
    assert.equal(second.statusCode, 201, second.body);
    const record = second.json<{ id: string; txt_record: { name: string; value: string } }>();
    // B publishes its own token too (it controls the DNS now, say): still refused while A holds the domain.
    dns.setTxt(record.txt_record.name, [record.txt_record.value]);
    assertProblem(await api(t, b.admin, 'POST', `/api/v1/organizations/${b.orgId}/sso/domains/${record.id}/verify`), 409, 'domain_taken');
    const lookup = await t.inject({ method: 'GET', url: `/sso/start?email=x@${domain}` });
    assert.match(String(lookup.headers.location), new RegExp(`^${idp.issuer}`));
  });

  it('AUTH-4: a member without settings.manage can neither add nor change a connection; another organization\u2019s admin sees none of them', async () => {
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await api(t, viewer, 'POST', `/api/v1/organizations/${a.orgId}/sso/connections`, { name: 'Mine', protocol: 'oidc', default_role: 'tenant_admin', oidc: { issuer: idp.issuer, client_id: 'x' } }), 403, 'forbidden');
    assertProblem(await api(t, viewer, 'PATCH', `/api/v1/organizations/${a.orgId}/sso/connections/${connectionId}`, { default_role: 'tenant_admin' }), 403, 'forbidden');
    const b = await createOrg(t, 'oidc-c');
    assertProblem(await api(t, b.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/connections`), 404, 'not_found');
    assertProblem(await api(t, b.admin, 'GET', `/api/v1/organizations/${b.orgId}/sso/connections/${connectionId}`), 404, 'not_found');
    assertProblem(await api(t, b.admin, 'PATCH', `/api/v1/organizations/${b.orgId}/sso/connections/${connectionId}`, { enabled: false }), 404, 'not_found');
  });
});
