// AUTH-4 (issue 18) in headless Chromium: the console's sign-in page routes an address of a
// verified domain to the organization's IdP — a real OpenID Provider (oidc-provider) and a SAML IdP
// (samlify behind a small HTTP page) — and the browser lands in the console signed in.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { createOrg } from '../../../test/support/access.ts';
import { BROWSER_SKIP, startBrowserApp, type BrowserApp } from '../../../test/support/browser.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';
import { escapeHtml } from '../../platform/http/html.ts';
import { oidcIdp, samlIdp, signingPair, testDns, type OidcIdp, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, authnRequestOf, verifiedDomain } from './sso-test-fixture-helpers.ts';

peerSuite('sso: sign-in through the console in a real browser (AUTH-4)', BROWSER_SKIP, () => {
  let b: BrowserApp;
  let dns: TestDns;
  let oidc: OidcIdp & { allowRedirects(uris: string[]): void; setNextAccount(email: string): void };
  let samlServer: Server;
  const pair = signingPair('browser-saml');
  const saml = samlIdp(pair, 'https://idp.example.test/browser');
  let samlSp = { metadata: '', email: '' };

  before(async () => {
    dns = await testDns();
    oidc = await oidcIdp();
    b = await startBrowserApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    // The SAML IdP's sign-in page: answers the AuthnRequest with a signed response in an HTML form
    // the user submits (no script needed), as IdPs' HTTP-POST binding pages do.
    samlServer = createServer((request, response) => {
      void (async () => {
        const authn = authnRequestOf(new URL(request.url ?? '/', 'http://localhost').href);
        const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(authn.xml)?.[1] ?? '';
        const answer = await saml.respond(samlSp.metadata, samlSp.email, authn.id);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>IdP</title><form method="post" action="${escapeHtml(acs)}"><input type="hidden" name="SAMLResponse" value="${escapeHtml(answer)}"><input type="hidden" name="RelayState" value="${escapeHtml(authn.relayState)}"><button type="submit" id="idp-continue">Continue</button></form>`);
      })().catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => samlServer.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await b.close();
    await oidc.close();
    await dns.close();
    await new Promise((resolve) => samlServer.close(resolve));
  });

  /** Types the address on the console's sign-in page and presses "Sign in with your organization (SSO)". */
  async function ssoFromConsole(email: string) {
    const opened = await b.openPage();
    await opened.page.goto('/console');
    await opened.page.fill('#email', email);
    await opened.page.click('#sso-sign-in');
    return opened;
  }

  async function assertSignedIn(opened: Awaited<ReturnType<typeof ssoFromConsole>>): Promise<void> {
    await opened.page.waitForURL((url) => url.origin === b.baseURL && url.pathname.startsWith('/console'), { timeout: 30_000 });
    const session = (await opened.context.cookies(b.baseURL)).find((c) => c.name === 'parapet_session');
    assert.ok(session !== undefined, 'the browser holds a session');
    const me = await b.t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: `parapet_session=${session.value}` } });
    assert.equal(me.statusCode, 200, me.body);
  }

  it('AUTH-4: an address of a verified domain goes from the console to the organization\u2019s OpenID Provider and lands in the console signed in', async () => {
    const org = await createOrg(b.t, 'browser-oidc');
    const created = await api(b.t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: 'OIDC', protocol: 'oidc', default_role: 'viewer', oidc: { issuer: oidc.issuer, client_id: oidc.clientId, client_secret: oidc.clientSecret } });
    assert.equal(created.statusCode, 201, created.body);
    const connection = created.json<{ id: string; oidc: { redirect_uri: string } }>();
    oidc.allowRedirects([connection.oidc.redirect_uri]);
    const domain = `browser-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(b.t, dns, org, domain, connection.id);
    const email = `olga@${domain}`;
    oidc.setNextAccount(email);
    const opened = await ssoFromConsole(email);
    await assertSignedIn(opened);
    assert.equal((await auditEvents(b.t, org.orgId, 'sso.sign_in')).length, 1);
    await opened.done();
  });

  it('AUTH-4: an address of a verified domain goes from the console to the organization\u2019s SAML IdP, posts back, and lands in the console signed in', async () => {
    const org = await createOrg(b.t, 'browser-saml');
    const idpUrl = `http://localhost:${String((samlServer.address() as AddressInfo).port)}/sso`;
    const created = await api(b.t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: 'SAML', protocol: 'saml', default_role: 'viewer', saml: { idp_entity_id: saml.entityId, idp_sso_url: idpUrl, idp_certs: [pair.certPem] } });
    assert.equal(created.statusCode, 201, created.body);
    const connectionId = created.json<{ id: string }>().id;
    const md = await api(b.t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections/${connectionId}/saml-metadata`);
    const domain = `browser-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(b.t, dns, org, domain, connectionId);
    samlSp = { metadata: md.json<{ metadata_xml: string }>().metadata_xml, email: `sam@${domain}` };
    const opened = await ssoFromConsole(samlSp.email);
    // The IdP's page (same site as Parapet on http://localhost, so the Lax state cookie rides along).
    await opened.page.waitForURL((url) => url.href.startsWith(idpUrl));
    await opened.page.click('#idp-continue');
    await assertSignedIn(opened);
    assert.equal((await auditEvents(b.t, org.orgId, 'sso.sign_in')).length, 1);
    await opened.done();
  });
});
