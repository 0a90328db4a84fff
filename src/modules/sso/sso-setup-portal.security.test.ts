import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { memberWithRole } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { findUserByEmail } from '../identity/index.ts';
import { samlIdp, signingPair, testDns, type SamlIdp, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, authnRequestOf, postAcs, stateCookie } from './sso-test-fixture-helpers.ts';
import { samlOrg, type SamlOrg } from './sso-saml-test-org.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The portal cookie an opening set (`name=value`). */
function portalCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'parapet_sso_setup');
  assert.ok(cookie !== undefined, response.body);
  return `parapet_sso_setup=${cookie.value}`;
}

/** The form token the portal page carries. */
function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  assert.ok(match?.[1] !== undefined, 'the page has a form token');
  return match[1];
}

// AUTH-4 (issue 18 part 5): the self-serve setup portal, with a real SAML IdP (samlify) for its
// "test connection" step. The attacks: expired, reused, revoked links; a link of organization A
// used on B; the portal reaching another organization's connections; secrets echoed; CSRF.
describe('sso: self-serve setup portal (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let idp: SamlIdp;
  let a: SamlOrg;
  let b: SamlOrg;
  const offset = { ms: 0 };

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server }, clock: { now: () => new Date(Date.now() + offset.ms) } });
    idp = samlIdp(signingPair('portal-idp'), 'https://idp.example.test/portal');
    a = await samlOrg(t, dns, 'portal-a', idp);
    b = await samlOrg(t, dns, 'portal-b', samlIdp(signingPair('portal-idp-b'), 'https://idp.example.test/portal-b'));
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  async function newLink(org: SamlOrg, hours?: number): Promise<{ id: string; url: string; path: string; secret: string }> {
    const made = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/setup-links`, hours === undefined ? {} : { expires_in_hours: hours });
    assert.equal(made.statusCode, 201, made.body);
    const body = made.json<{ link: { id: string }; url: string }>();
    const path = new URL(body.url).pathname;
    return { id: body.link.id, url: body.url, path, secret: path.split('/').at(-1) ?? '' };
  }
  const open = (path: string) => t.inject({ method: 'POST', url: path, headers: FORM, payload: '' });

  it('AUTH-4: an IT administrator opens the link once, adds nothing to other organizations, and tests the SAML connection with a real sign-in round trip: outcome shown, no session, nobody provisioned; audited', async () => {
    const link = await newLink(a);
    const first = await t.inject({ method: 'GET', url: link.path });
    assert.equal(first.statusCode, 200);
    assert.ok(!first.body.includes(link.secret), 'the page does not echo the secret');
    assert.match(String(first.headers['content-security-policy']), /script-src|default-src/);
    assert.doesNotMatch(first.body, /<script/i);
    const opened = await open(link.path);
    assert.equal(opened.statusCode, 303, opened.body);
    const home = String(opened.headers.location);
    assert.equal(home, `/sso/setup/${a.orgId}/${link.id}`);
    const cookie = portalCookie(opened);
    const portal = await t.inject({ method: 'GET', url: home, headers: { cookie } });
    assert.equal(portal.statusCode, 200, portal.body);
    for (const idpName of ['Okta', 'Microsoft Entra ID', 'Google Workspace', 'Any other SAML 2.0 or OpenID Connect provider']) assert.ok(portal.body.includes(idpName), idpName);
    assert.ok(portal.body.includes(`/sso/saml/${a.orgId}/${a.connectionId}/acs`), 'the ACS URL is shown');
    assert.ok(!portal.body.includes(b.connectionId), "another organization's connection is not shown");
    assert.doesNotMatch(portal.body, /<script/i);
    const csrf = csrfOf(portal.body);

    // Add a SAML connection from the IdP's metadata.
    const added = await t.inject({ method: 'POST', url: `${home}/connections`, headers: { ...FORM, cookie }, payload: new URLSearchParams({ csrf, protocol: 'saml', name: 'Portal IdP', metadata_xml: idp.metadata }).toString() });
    assert.equal(added.statusCode, 303, added.body);
    const listed = await api(t, a.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/connections`);
    const made = listed.json<{ items: { id: string; name: string; default_role: string }[] }>().items.find((c) => c.name === 'Portal IdP');
    assert.equal(made?.default_role, 'viewer');
    assert.equal((await auditEvents(t, a.orgId, 'sso.connection_created')).length, 2);

    // SP metadata download through the portal.
    const md = await t.inject({ method: 'GET', url: `${home}/connections/${a.connectionId}/saml-metadata`, headers: { cookie } });
    assert.equal(md.statusCode, 200);
    assert.match(md.body, /EntityDescriptor/);

    // Test: SP-initiated round trip through the IdP, back to the portal.
    const started = await t.inject({ method: 'POST', url: `${home}/test`, headers: { ...FORM, cookie }, payload: new URLSearchParams({ csrf, connection_id: a.connectionId }).toString() });
    assert.equal(started.statusCode, 303, started.body);
    const request = authnRequestOf(String(started.headers.location));
    const email = `it-admin@${a.domain}`;
    const back = await postAcs(t, a.acs, await idp.respond(a.spMetadata, email, request.id), request.relayState, stateCookie(started).header);
    assert.equal(back.statusCode, 303, back.body);
    assert.equal(back.headers.location, home);
    assert.ok(!back.cookies.some((c) => c.name === 'parapet_session'), 'a test opens no session');
    assert.equal(await t.transactor.withPlatform((tx) => findUserByEmail(tx, email)), undefined, 'a test provisions nobody');
    const after_ = await t.inject({ method: 'GET', url: home, headers: { cookie } });
    assert.match(after_.body, /Succeeded/);
    assert.equal((await auditEvents(t, a.orgId, 'sso.setup_tested')).at(-1)?.metadata['outcome'], 'ok');
    assert.equal((await auditEvents(t, a.orgId, 'sso.setup_link_opened')).length >= 1, true);
  });

  it('AUTH-4: a link opens in one browser only: a second opening, and the first browser after a revocation, are refused with one answer (audited)', async () => {
    const link = await newLink(a);
    const cookie = portalCookie(await open(link.path));
    const again = await open(link.path);
    assertProblem(again, 401, 'sso_setup_link_invalid');
    assert.ok(!again.body.includes(link.secret));
    assert.equal((await auditEvents(t, a.orgId, 'sso.setup_link_refused')).at(-1)?.metadata['reason'], 'already_opened');
    // Parallel openings of a fresh link: exactly one wins.
    const fresh = await newLink(a);
    const both = await Promise.all([open(fresh.path), open(fresh.path), open(fresh.path)]);
    assert.equal(both.filter((r) => r.statusCode === 303).length, 1);
    // Revoked: the browser that opened it is out at once.
    assert.equal((await t.inject({ method: 'GET', url: `/sso/setup/${a.orgId}/${link.id}`, headers: { cookie } })).statusCode, 200);
    assert.equal((await api(t, a.admin, 'DELETE', `/api/v1/organizations/${a.orgId}/sso/setup-links/${link.id}`)).statusCode, 204);
    assertProblem(await t.inject({ method: 'GET', url: `/sso/setup/${a.orgId}/${link.id}`, headers: { cookie } }), 401, 'sso_setup_link_invalid');
    const unopened = await newLink(a);
    assert.equal((await api(t, a.admin, 'DELETE', `/api/v1/organizations/${a.orgId}/sso/setup-links/${unopened.id}`)).statusCode, 204);
    assertProblem(await open(unopened.path), 401, 'sso_setup_link_invalid');
    assert.equal((await auditEvents(t, a.orgId, 'sso.setup_link_refused')).at(-1)?.metadata['reason'], 'revoked');
  });

  it('AUTH-4: an expired link neither opens nor keeps working in the browser that opened it', async () => {
    const link = await newLink(a, 1);
    const unopened = await newLink(a, 1);
    const cookie = portalCookie(await open(link.path));
    offset.ms = 3_600_000 + 60_000;
    try {
      assertProblem(await t.inject({ method: 'GET', url: `/sso/setup/${a.orgId}/${link.id}`, headers: { cookie } }), 401, 'sso_setup_link_invalid');
      assertProblem(await open(unopened.path), 401, 'sso_setup_link_invalid');
    } finally {
      offset.ms = 0;
    }
    assert.equal((await auditEvents(t, a.orgId, 'sso.setup_link_refused')).at(-1)?.metadata['reason'], 'expired');
  });

  it("AUTH-4: a link of organization A opens nothing of B, A's portal cookie works on no other link, and the portal cannot reach B's connections", async () => {
    const link = await newLink(a);
    assertProblem(await open(`/sso/setup/${b.orgId}/${link.id}/${link.secret}`), 401, 'sso_setup_link_invalid');
    const wrongSecret = await newLink(a);
    assertProblem(await open(`/sso/setup/${a.orgId}/${wrongSecret.id}/${link.secret}`), 401, 'sso_setup_link_invalid');
    const cookie = portalCookie(await open(link.path));
    const bLink = await newLink(b);
    assertProblem(await t.inject({ method: 'GET', url: `/sso/setup/${b.orgId}/${bLink.id}`, headers: { cookie } }), 401, 'sso_setup_link_invalid');
    assertProblem(await t.inject({ method: 'GET', url: `/sso/setup/${b.orgId}/${link.id}`, headers: { cookie } }), 401, 'sso_setup_link_invalid');
    const home = `/sso/setup/${a.orgId}/${link.id}`;
    const csrf = csrfOf((await t.inject({ method: 'GET', url: home, headers: { cookie } })).body);
    assertProblem(await t.inject({ method: 'POST', url: `${home}/test`, headers: { ...FORM, cookie }, payload: new URLSearchParams({ csrf, connection_id: b.connectionId }).toString() }), 404, 'not_found');
    assertProblem(await t.inject({ method: 'GET', url: `${home}/connections/${b.connectionId}/saml-metadata`, headers: { cookie } }), 404, 'not_found');
  });

  it('AUTH-4: the portal forms need their form token (CSRF) and a same-origin post; the secret is shown once and never listed', async () => {
    const link = await newLink(a);
    const cookie = portalCookie(await open(link.path));
    const home = `/sso/setup/${a.orgId}/${link.id}`;
    const payload = (extra: Record<string, string>) => new URLSearchParams({ protocol: 'oidc', name: 'Forged', issuer: 'https://evil.example.com', client_id: 'x', ...extra }).toString();
    assertProblem(await t.inject({ method: 'POST', url: `${home}/connections`, headers: { ...FORM, cookie }, payload: payload({}) }), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'POST', url: `${home}/connections`, headers: { ...FORM, cookie }, payload: payload({ csrf: 'A'.repeat(43) }) }), 403, 'forbidden');
    // Another open link's token does not fit this one.
    const other = await newLink(a);
    const otherCookie = portalCookie(await open(other.path));
    const otherCsrf = csrfOf((await t.inject({ method: 'GET', url: `/sso/setup/${a.orgId}/${other.id}`, headers: { cookie: otherCookie } })).body);
    assertProblem(await t.inject({ method: 'POST', url: `${home}/connections`, headers: { ...FORM, cookie }, payload: payload({ csrf: otherCsrf }) }), 403, 'forbidden');
    const csrf = csrfOf((await t.inject({ method: 'GET', url: home, headers: { cookie } })).body);
    assertProblem(await t.inject({ method: 'POST', url: `${home}/connections`, headers: { ...FORM, cookie, origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' }, payload: payload({ csrf }) }), 403, 'origin_mismatch');
    const listed = await api(t, a.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/connections`);
    assert.ok(!listed.body.includes('Forged'));
    const links = await api(t, a.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/setup-links`);
    assert.equal(links.statusCode, 200);
    assert.ok(!links.body.includes(link.secret) && !links.body.includes('secret'));
  });

  it('AUTH-4: only a member holding settings.manage makes or revokes a setup link', async () => {
    const analyst = await memberWithRole(t, a, 'security_analyst');
    assertProblem(await api(t, analyst, 'POST', `/api/v1/organizations/${a.orgId}/sso/setup-links`, {}), 403, 'forbidden');
    const link = await newLink(a);
    assertProblem(await api(t, analyst, 'DELETE', `/api/v1/organizations/${a.orgId}/sso/setup-links/${link.id}`), 403, 'forbidden');
    assertProblem(await api(t, b.admin, 'DELETE', `/api/v1/organizations/${b.orgId}/sso/setup-links/${link.id}`), 404, 'not_found');
  });
});
