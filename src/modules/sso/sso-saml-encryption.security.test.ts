import assert from 'node:assert/strict';
import { createVerify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { samlIdp, signingPair, testDns, type SamlIdp, type SigningPair, type TestDns } from './sso-test-fixture.ts';
import { api, postAcs } from './sso-test-fixture-helpers.ts';
import { accountExists, lastRefusal, samlOrg, startSaml, type SamlOrg } from './sso-saml-test-org.ts';

// AUTH-4 (issue 18 part 1): encrypted assertions. The connection holds this SP's key pair (the
// private key field-encrypted); the IdP (samlify) encrypts the signed assertion to the certificate
// the SP metadata publishes.
describe('sso: encrypted SAML assertions and signed AuthnRequests (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let idpKey: SigningPair;
  let spKey: SigningPair;
  let plain: SamlIdp;
  let encrypting: SamlIdp;
  let a: SamlOrg;
  let spMetadata: string;

  const patch = (org: SamlOrg, body: object) => api(t, org.admin, 'PATCH', `/api/v1/organizations/${org.orgId}/sso/connections/${org.connectionId}`, body);
  const metadataOf = async (org: SamlOrg) => (await api(t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections/${org.connectionId}/saml-metadata`)).json<{ metadata_xml: string }>().metadata_xml;

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    [idpKey, spKey] = [signingPair('idp-enc'), signingPair('sp-enc')];
    plain = samlIdp(idpKey);
    encrypting = samlIdp(idpKey, plain.entityId, { encrypt: true });
    a = await samlOrg(t, dns, 'enc', plain);
    const set = await patch(a, { sp_decryption: { private_key_pem: spKey.keyPem, certificate_pem: spKey.certPem } });
    assert.equal(set.statusCode, 200, set.body);
    assert.match(set.json<{ saml: { sp_encryption_cert_fingerprint: string } }>().saml.sp_encryption_cert_fingerprint, /^[0-9A-F:]{95}$/);
    assert.doesNotMatch(set.body, /PRIVATE KEY/);
    spMetadata = await metadataOf(a);
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  it('AUTH-4: the SP metadata publishes the encryption certificate; an encrypted, signed assertion signs in; the private key is stored sealed (pk1.)', async () => {
    assert.match(spMetadata, /<KeyDescriptor use="encryption">/);
    const s = await startSaml(t, a);
    const email = `enc@${a.domain}`;
    const xml = await encrypting.respond(spMetadata, email, s.requestId);
    assert.match(Buffer.from(xml, 'base64').toString('utf8'), /EncryptedAssertion/);
    assert.doesNotMatch(Buffer.from(xml, 'base64').toString('utf8'), new RegExp(email.replace('.', '\\.')), 'the address travels encrypted');
    const response = await postAcs(t, a.acs, xml, s.relayState, s.cookie);
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(await accountExists(t, email), true);
    const row = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('sso_connections').select(['saml_sp_decryption_key_sealed']).where('id', '=', a.connectionId).executeTakeFirstOrThrow());
    assert.match(row.saml_sp_decryption_key_sealed ?? '', /^pk1\./);
  });

  it('AUTH-4: with a decryption key set, a plain (unencrypted) assertion is refused, even signed; one encrypted to another key is refused', async () => {
    const s = await startSaml(t, a);
    assertProblem(await postAcs(t, a.acs, await plain.respond(spMetadata, `plain@${a.domain}`, s.requestId), s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(t, a), 'assertion_not_encrypted');
    assert.equal(await accountExists(t, `plain@${a.domain}`), false);
    // Encrypted to a certificate that is not this connection's.
    const other = signingPair('sp-other');
    const otherMetadata = spMetadata.replace(/(<KeyDescriptor use="encryption">[\s\S]*?<(?:ds:)?X509Certificate>)[^<]+/, `$1${other.certPem.replace(/-----[^-]+-----|\s/g, '')}`);
    assert.notEqual(otherMetadata, spMetadata);
    const s2 = await startSaml(t, a);
    assertProblem(await postAcs(t, a.acs, await encrypting.respond(otherMetadata, `other@${a.domain}`, s2.requestId), s2.relayState, s2.cookie), 401, 'sso_failed');
    assert.equal(await accountExists(t, `other@${a.domain}`), false);
  });

  it('AUTH-4: a key pair whose certificate is not the key\u2019s, or that does not parse, is refused (400 sso_metadata_invalid); removing the key refuses encrypted assertions', async () => {
    const other = signingPair('sp-mismatch');
    assertProblem(await patch(a, { sp_decryption: { private_key_pem: spKey.keyPem, certificate_pem: other.certPem } }), 400, 'sso_metadata_invalid');
    assertProblem(await patch(a, { sp_decryption: { private_key_pem: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(200)}\n-----END PRIVATE KEY-----`, certificate_pem: spKey.certPem } }), 400, 'sso_metadata_invalid');
    const org = await samlOrg(t, dns, 'enc-off', plain);
    assert.equal((await patch(org, { sp_decryption: { private_key_pem: spKey.keyPem, certificate_pem: spKey.certPem } })).statusCode, 200);
    const md = await metadataOf(org);
    assert.equal((await patch(org, { sp_decryption: null })).statusCode, 200);
    assert.doesNotMatch(await metadataOf(org), /use="encryption"/);
    const s = await startSaml(t, org);
    assertProblem(await postAcs(t, org.acs, await encrypting.respond(md, `off@${org.domain}`, s.requestId), s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await accountExists(t, `off@${org.domain}`), false);
  });

  it('AUTH-4: with sign_requests on, the AuthnRequest redirect carries SigAlg and a Signature over the query that verifies with the SP certificate; the SP metadata says so; it needs the SP key pair', async () => {
    const org = await samlOrg(t, dns, 'signreq', plain);
    assertProblem(await patch(org, { sign_requests: true }), 400, 'invalid_request');
    const on = await patch(org, { sp_decryption: { private_key_pem: spKey.keyPem, certificate_pem: spKey.certPem }, sign_requests: true });
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json<{ saml: { sign_requests: boolean } }>().saml.sign_requests, true);
    const md = await metadataOf(org);
    assert.match(md, /AuthnRequestsSigned="true"/);
    assert.match(md, /<KeyDescriptor use="signing">/);
    const started = await t.inject({ method: 'GET', url: `/sso/start?org=${org.orgId}&connection=${org.connectionId}` });
    assert.equal(started.statusCode, 302, started.body);
    const location = new URL(String(started.headers.location));
    assert.equal(location.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    // SAML Bindings §3.4.4.1: the signature covers "SAMLRequest=…&RelayState=…&SigAlg=…" as sent, URL-encoded.
    const parts = location.search.slice(1).split('&');
    const signedPart = ['SAMLRequest', 'RelayState', 'SigAlg'].map((name) => parts.find((p) => p.startsWith(`${name}=`))).filter((p): p is string => p !== undefined).join('&');
    const signature = Buffer.from(location.searchParams.get('Signature') ?? '', 'base64');
    assert.equal(createVerify('RSA-SHA256').update(signedPart).verify(spKey.certPem, signature), true);
    assert.equal(createVerify('RSA-SHA256').update(signedPart.replace('RelayState=', 'RelayState=x')).verify(spKey.certPem, signature), false);
    // A connection without it sends unsigned requests.
    const unsigned = new URL(String((await t.inject({ method: 'GET', url: `/sso/start?org=${a.orgId}&connection=${a.connectionId}` })).headers.location));
    assert.equal(unsigned.searchParams.get('Signature'), null);
    // Removing the key pair turns signing off with it.
    const off = await patch(org, { sp_decryption: null });
    assert.equal(off.json<{ saml: { sign_requests: boolean } }>().saml.sign_requests, false);
  });
});
