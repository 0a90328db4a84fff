import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { fetchCertificates, httpsHost, samlIdp, signingPair, testDns, type FetchCertificates, type SamlIdp, type TestDns, type TestHttpsHost } from './sso-test-fixture.ts';
import { api, auditEvents } from './sso-test-fixture-helpers.ts';

/** The one address the operator opened (PARAPET_SSO_FETCH_ALLOWED_NETWORKS); its neighbour stays private and refused. */
const ALLOWED = '127.77.18.1';
const PRIVATE = '127.77.18.2';
const WELL_KNOWN = '/.well-known/parapet-domain-verification';

interface Connection {
  id: string;
  saml: { idp_entity_id: string; idp_cert_fingerprints: string[]; metadata_url: string | null };
}

// AUTH-4 (issue 18 part 2): IdP metadata by URL and domain proof by an HTTPS well-known file, both
// fetched through the audit streams' outbound address guard: real TLS servers on loopback
// addresses, names answered by a real DNS server, a private CA given by PARAPET_SSO_FETCH_CA_FILE.
describe('sso: fetching IdP metadata and well-known files through the address guard (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let certs: FetchCertificates;
  let idp: SamlIdp;
  let metadata: string;
  let open: TestHttpsHost;
  let closed: TestHttpsHost;
  let open443: TestHttpsHost | undefined;
  let closed443: TestHttpsHost | undefined;
  const bodies = new Map<string, string>();
  let org: { orgId: string; admin: Member };

  const routes = {
    '/metadata': () => metadata,
    '/moved': () => 'redirect:/metadata',
    [WELL_KNOWN]: (host: string) => bodies.get(host),
  };
  const hitsOf = (server: TestHttpsHost | undefined) => server?.hits.length ?? 0;

  before(async () => {
    dns = await testDns();
    certs = fetchCertificates();
    idp = samlIdp(signingPair('idp-fetch'), 'https://idp-fetch.example.test/saml');
    metadata = idp.metadata;
    open = await httpsHost(ALLOWED, 0, certs, routes);
    closed = await httpsHost(PRIVATE, open.port, certs, routes).catch(() => httpsHost(PRIVATE, 0, certs, routes));
    // The well-known file is on port 443 of the domain: binding it needs root (skipped otherwise).
    const noPort = (error: unknown) => {
      process.stderr.write(`port 443: ${String(error)}\n`);
      return undefined;
    };
    open443 = await httpsHost(ALLOWED, 443, certs, routes).catch(noPort);
    closed443 = await httpsHost(PRIVATE, 443, certs, routes).catch(noPort);
    dns.setA('idp-meta.example.test', [ALLOWED]);
    dns.setA('internal.example.test', [PRIVATE]);
    dns.setA('cloud-metadata.example.test', ['169.254.169.254']);
    dns.setA('mixed.example.test', [ALLOWED, PRIVATE]);
    dns.setA('wrong-name.example.net', [ALLOWED]);
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server, PARAPET_SSO_FETCH_ALLOWED_NETWORKS: `${ALLOWED}/32`, PARAPET_SSO_FETCH_CA_FILE: certs.caFile } });
    org = await createOrg(t, 'fetch');
  });
  after(async () => {
    await t.close();
    for (const server of [open, closed, open443, closed443]) await server?.close();
    await dns.close();
  });

  const create = (metadataUrl: string) => api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: 'By URL', protocol: 'saml', default_role: 'viewer', saml: { metadata_url: metadataUrl } });

  it('AUTH-4: a SAML connection takes its IdP metadata from an https URL, and a refresh picks up a certificate rollover; both audited', async () => {
    const created = await create(`https://idp-meta.example.test:${open.port}/metadata`);
    assert.equal(created.statusCode, 201, created.body);
    const connection = created.json<Connection>();
    assert.equal(connection.saml.idp_entity_id, idp.entityId);
    assert.equal(connection.saml.metadata_url, `https://idp-meta.example.test:${open.port}/metadata`);
    assert.equal(connection.saml.idp_cert_fingerprints.length, 1);
    // The IdP publishes its next certificate beside the current one.
    const next = samlIdp(signingPair('idp-fetch-next'), idp.entityId);
    const nextCert = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(next.metadata)?.[1] ?? '';
    assert.ok(nextCert !== '');
    const descriptorEnd = /<\/(\w+:)?IDPSSODescriptor>/.exec(idp.metadata)?.[0] ?? '';
    assert.ok(descriptorEnd !== '');
    metadata = idp.metadata.replace(descriptorEnd, `<md:KeyDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${nextCert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>${descriptorEnd}`);
    try {
      const refreshed = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections/${connection.id}/refresh-metadata`);
      assert.equal(refreshed.statusCode, 200, refreshed.body);
      assert.equal(refreshed.json<Connection>().saml.idp_cert_fingerprints.length, 2);
    } finally {
      metadata = idp.metadata;
    }
    assert.equal((await auditEvents(t, org.orgId, 'sso.connection_metadata_refreshed')).length, 1);
  });

  it('AUTH-4: a metadata URL at a private, loopback or cloud-metadata address (literal or by name, or a name with one private answer among others) is refused before any request', async () => {
    const before = hitsOf(closed);
    for (const url of [
      `https://${PRIVATE}:${closed.port}/metadata`,
      `https://internal.example.test:${closed.port}/metadata`,
      'https://cloud-metadata.example.test/latest/meta-data/',
      `https://mixed.example.test:${closed.port}/metadata`,
      `https://127.0.0.1:${open.port}/metadata`,
      'https://[::1]/metadata',
    ]) {
      const response = await create(url);
      assertProblem(response, 400, 'invalid_request');
      assert.doesNotMatch(response.body, /127\.|169\.254|internal|::1/, 'the answer does not echo the address');
    }
    assert.equal(hitsOf(closed), before, 'nothing reached the private address');
  });

  it('AUTH-4: a metadata URL that redirects, or whose certificate does not name the host, or that is not found, is not used (422 sso_metadata_unreachable)', async () => {
    for (const url of [`https://idp-meta.example.test:${open.port}/moved`, `https://wrong-name.example.net:${open.port}/metadata`, `https://idp-meta.example.test:${open.port}/nothing-here`, 'https://unknown-host.example.test/metadata']) {
      assertProblem(await create(url), 422, 'sso_metadata_unreachable');
    }
    const list = await api(t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections`);
    assert.ok(list.json<{ items: Connection[] }>().items.every((c) => c.saml?.metadata_url?.includes('/metadata') ?? true));
  });

  it('AUTH-4: a domain is proved by its HTTPS well-known file holding the claim\u2019s token, and not by a wrong body or a file served from a private address', async (context) => {
    if (open443 === undefined || closed443 === undefined) {
      context.skip('binding port 443 on loopback needs root');
      return;
    }
    const claim = async (domain: string) => {
      const claimed = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/domains`, { domain });
      assert.equal(claimed.statusCode, 201, claimed.body);
      return claimed.json<{ id: string; well_known: { url: string; body: string } }>();
    };
    const verify = (id: string) => api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/domains/${id}/verify`);
    const good = await claim(`wk-${crypto.randomUUID().slice(0, 8)}.example.org`);
    const goodHost = new URL(good.well_known.url).hostname;
    assert.equal(good.well_known.url, `https://${goodHost}${WELL_KNOWN}`);
    dns.setA(goodHost, [ALLOWED]);
    bodies.set(goodHost, 'parapet-domain-verification=not-the-token');
    assertProblem(await verify(good.id), 409, 'domain_not_verified');
    bodies.set(goodHost, `${good.well_known.body}\n`);
    const verified = await verify(good.id);
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.json<{ verified_by: string }>().verified_by, 'https_well_known');
    assert.ok((await auditEvents(t, org.orgId, 'sso.domain_verified')).some((e) => e.metadata['method'] === 'https_well_known'));
    // The right file, served from an address the operator did not open: not fetched, not verified.
    const internal = await claim(`wk-${crypto.randomUUID().slice(0, 8)}.example.org`);
    const internalHost = new URL(internal.well_known.url).hostname;
    dns.setA(internalHost, [PRIVATE]);
    bodies.set(internalHost, internal.well_known.body);
    const hits = hitsOf(closed443);
    assertProblem(await verify(internal.id), 409, 'domain_not_verified');
    assert.equal(hitsOf(closed443), hits);
  });
});
