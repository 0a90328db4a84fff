import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { samlIdp, signingPair, testDns, type SamlIdp, type SigningPair, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, authnRequestOf, postAcs, stateCookie, verifiedDomain } from './sso-test-fixture-helpers.ts';

interface Org {
  orgId: string;
  admin: Member;
  connectionId: string;
  acs: string;
  spMetadata: string;
  domain: string;
}

// AUTH-4 (issue 18): SAML 2.0 SP-initiated sign-in through a real IdP implementation (samlify,
// signing with an openssl-made key), and the attacks on it. Each refusal is `sso_failed` to the
// browser and `sso.sign_in_refused` with the reason in the organization's log.
describe('sso: SAML sign-in and its attacks (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let keyA: SigningPair;
  let keyB: SigningPair;
  let attacker: SigningPair;
  let idp: SamlIdp;
  let a: Org;
  let b: Org;

  async function samlOrg(label: string, idpFor: SamlIdp, extra: object = {}): Promise<Org> {
    const org = await createOrg(t, label);
    const created = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: `IdP ${label}`, protocol: 'saml', default_role: 'viewer', saml: { metadata_xml: idpFor.metadata, ...extra } });
    assert.equal(created.statusCode, 201, created.body);
    const connectionId = created.json<{ id: string }>().id;
    const md = await api(t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections/${connectionId}/saml-metadata`);
    assert.equal(md.statusCode, 200, md.body);
    const domain = `${label}-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(t, dns, { orgId: org.orgId, admin: org.admin }, domain, connectionId);
    return { orgId: org.orgId, admin: org.admin, connectionId, acs: new URL(md.json<{ acs_url: string }>().acs_url).pathname, spMetadata: md.json<{ metadata_xml: string }>().metadata_xml, domain };
  }

  /** Starts a sign-in at `org`'s connection as a browser: the request id, the RelayState and the state cookie. */
  async function start(org: Org): Promise<{ requestId: string; relayState: string; cookie: string }> {
    const started = await t.inject({ method: 'GET', url: `/sso/start?org=${org.orgId}&connection=${org.connectionId}` });
    assert.equal(started.statusCode, 302, started.body);
    const request = authnRequestOf(String(started.headers.location));
    return { requestId: request.id, relayState: request.relayState, cookie: stateCookie(started).header };
  }

  async function lastRefusal(org: Org): Promise<unknown> {
    const events = await auditEvents(t, org.orgId, 'sso.sign_in_refused');
    return events.at(-1)?.metadata['reason'];
  }

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    [keyA, keyB, attacker] = [signingPair('idp-a'), signingPair('idp-b'), signingPair('attacker')];
    idp = samlIdp(keyA);
    a = await samlOrg('a', idp);
    b = await samlOrg('b', samlIdp(keyB, 'https://idp-b.example.test/saml'));
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  it('AUTH-4: a signed response to our AuthnRequest creates the user just in time, opens a session recording the SSO method, and is audited', async () => {
    const s = await start(a);
    const email = `alice@${a.domain}`;
    const response = await postAcs(t, a.acs, await idp.respond(a.spMetadata, email, s.requestId), s.relayState, s.cookie);
    assert.equal(response.statusCode, 303, response.body);
    const session = response.cookies.find((c) => c.name === 'parapet_session');
    assert.ok(session !== undefined);
    const me = await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: `parapet_session=${session.value}` } });
    assert.equal(me.statusCode, 200, me.body);
    const sessions = await t.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { cookie: `parapet_session=${session.value}` } });
    assert.match(sessions.body, /sso:saml/);
    assert.match(sessions.body, /idp_acr:urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport/);
    // JIT: a member of A with the default role; audited.
    const org = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie: `parapet_session=${session.value}` } });
    assert.equal(org.statusCode, 200, org.body);
    assert.equal((await auditEvents(t, a.orgId, 'sso.user_provisioned')).length, 1);
    assert.ok((await auditEvents(t, a.orgId, 'sso.sign_in')).length >= 1);
  });

  it('AUTH-4: the same response posted twice is refused the second time (InResponseTo and assertion id are single-use)', async () => {
    const s = await start(a);
    const xml = await idp.respond(a.spMetadata, `replay@${a.domain}`, s.requestId);
    assert.equal((await postAcs(t, a.acs, xml, s.relayState, s.cookie)).statusCode, 303);
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'state_unknown_or_used');
  });

  it('AUTH-4: an assertion replayed as an unsolicited response (IdP-initiated on) is refused by the assertion-id cache', async () => {
    const org = await samlOrg('replay', idp, { allow_idp_initiated: true });
    const unsolicited = await idp.respond(org.spMetadata, `u@${org.domain}`, undefined);
    assert.equal((await postAcs(t, org.acs, unsolicited, undefined, undefined)).statusCode, 303);
    assertProblem(await postAcs(t, org.acs, unsolicited, undefined, undefined), 401, 'sso_failed');
    assert.equal(await lastRefusal(org), 'assertion_replayed');
  });

  it('AUTH-4: an unsolicited (IdP-initiated) response is refused while the organization has not turned it on', async () => {
    assertProblem(await postAcs(t, a.acs, await idp.respond(a.spMetadata, `bob@${a.domain}`, undefined), undefined, undefined), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'unsolicited');
  });

  it('AUTH-4: a response signed by a key whose certificate is not configured is refused', async () => {
    const s = await start(a);
    const forged = await samlIdp(attacker, idp.entityId).respond(a.spMetadata, `mallory@${a.domain}`, s.requestId);
    assertProblem(await postAcs(t, a.acs, forged, s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'signature_invalid');
  });

  it('AUTH-4: an assertion whose signature is stripped (unsigned) is refused', async () => {
    const s = await start(a);
    const signed = Buffer.from(await idp.respond(a.spMetadata, `carol@${a.domain}`, s.requestId), 'base64').toString('utf8');
    const unsigned = signed.replace(/<(ds:)?Signature[\s\S]*?<\/(ds:)?Signature>/g, '');
    assert.notEqual(unsigned, signed);
    assertProblem(await postAcs(t, a.acs, Buffer.from(unsigned).toString('base64'), s.relayState, s.cookie), 401, 'sso_failed');
  });

  it('AUTH-4: XML signature wrapping — a forged assertion beside the signed one, or the signed one moved into an extension — does not sign in as the forged subject', async () => {
    const s = await start(a);
    const signed = Buffer.from(await idp.respond(a.spMetadata, `victim@${a.domain}`, s.requestId), 'base64').toString('utf8');
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)?.[0] ?? '';
    assert.ok(assertion !== '');
    const evil = assertion.replace(/ID="[^"]+"/, 'ID="_evil"').replace(/<(ds:)?Signature[\s\S]*?<\/(ds:)?Signature>/, '').replaceAll(`victim@${a.domain}`, `admin@${a.domain}`);
    // XSW: the unsigned forged assertion first, the signed original after it (and, variant 2, wrapped in an Extensions element).
    for (const wrapped of [signed.replace(assertion, evil + assertion), signed.replace(assertion, `${evil}<samlp:Extensions>${assertion}</samlp:Extensions>`)]) {
      const response = await postAcs(t, a.acs, Buffer.from(wrapped).toString('base64'), s.relayState, s.cookie);
      assert.notEqual(response.statusCode, 303, 'a wrapped response must never sign in');
      const who = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('email', '=', `admin@${a.domain}`).executeTakeFirst());
      assert.equal(who, undefined);
    }
  });

  it('AUTH-4: an expired assertion is refused (NotOnOrAfter beyond the allowed skew)', async () => {
    const s = await start(a);
    const past = new Date(Date.now() - 10 * 60_000).toISOString();
    const xml = await idp.respond(a.spMetadata, `old@${a.domain}`, s.requestId, { ConditionsNotOnOrAfter: past, SubjectConfirmationDataNotOnOrAfter: past });
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'expired');
  });

  it('AUTH-4: an assertion for another audience is refused', async () => {
    const s = await start(a);
    const xml = await idp.respond(a.spMetadata, `aud@${a.domain}`, s.requestId, { Audience: 'https://other-sp.example.test' });
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'audience_mismatch');
  });

  it('AUTH-4: an assertion naming another Recipient, or a response naming another Destination, is refused', async () => {
    for (const [tags, reason] of [[{ SubjectRecipient: 'https://evil.example.test/acs' }, 'recipient_mismatch'], [{ Destination: 'https://evil.example.test/acs' }, 'destination_mismatch']] as const) {
      const s = await start(a);
      const xml = await idp.respond(a.spMetadata, `rcpt@${a.domain}`, s.requestId, tags);
      assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
      assert.equal(await lastRefusal(a), reason);
    }
  });

  it('AUTH-4: an assertion from another issuer (signed with the configured key) is refused', async () => {
    const s = await start(a);
    const xml = await samlIdp(keyA, 'https://impostor.example.test/saml').respond(a.spMetadata, `iss@${a.domain}`, s.requestId);
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'issuer_mismatch');
  });

  it('AUTH-4: a response answering another request id (InResponseTo mismatch) is refused', async () => {
    const s = await start(a);
    const other = await start(a);
    const xml = await idp.respond(a.spMetadata, `irt@${a.domain}`, other.requestId);
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
  });

  it('AUTH-4: a RelayState without the browser\u2019s state cookie (login CSRF) is refused', async () => {
    const s = await start(a);
    const xml = await idp.respond(a.spMetadata, `csrf@${a.domain}`, s.requestId);
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, undefined), 401, 'sso_failed');
    assert.equal(await lastRefusal(a), 'state_mismatch');
  });

  it('TEN-1: organization B\u2019s IdP response posted to A\u2019s ACS, or to B\u2019s connection id under A\u2019s path, does not sign in', async () => {
    const s = await start(b);
    const xml = await samlIdp(keyB, 'https://idp-b.example.test/saml').respond(b.spMetadata, `x@${b.domain}`, s.requestId);
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
    assertProblem(await postAcs(t, `/sso/saml/${a.orgId}/${b.connectionId}/acs`, xml, s.relayState, s.cookie), 404, 'not_found');
  });

  it('AUTH-4: an IdP asserting an address outside the organization\u2019s verified domains neither signs in as nor creates that account (takeover via SSO)', async () => {
    const victimEmail = `ceo-${crypto.randomUUID()}@example.com`;
    await t.createUser(victimEmail, TEST_PASSWORD);
    for (const email of [victimEmail, `someone@${b.domain}`]) {
      const s = await start(a);
      const response = await postAcs(t, a.acs, await idp.respond(a.spMetadata, email, s.requestId), s.relayState, s.cookie);
      assertProblem(response, 401, 'sso_failed');
      assert.equal(await lastRefusal(a), 'email_domain_not_verified');
    }
    const created = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('email', '=', `someone@${b.domain}`).executeTakeFirst());
    assert.equal(created, undefined);
  });

  it('AUTH-4: certificate rollover — with two certificates configured, responses signed by either key are accepted; after the old one is removed it is refused', async () => {
    const org = await samlOrg('roll', idp);
    const next = samlIdp(keyB, idp.entityId);
    const certs = [keyA.certPem, keyB.certPem];
    assert.equal((await api(t, org.admin, 'PATCH', `/api/v1/organizations/${org.orgId}/sso/connections/${org.connectionId}`, { idp_certs: certs })).statusCode, 200);
    for (const signer of [idp, next]) {
      const s = await start(org);
      assert.equal((await postAcs(t, org.acs, await signer.respond(org.spMetadata, `r@${org.domain}`, s.requestId), s.relayState, s.cookie)).statusCode, 303);
    }
    assert.equal((await api(t, org.admin, 'PATCH', `/api/v1/organizations/${org.orgId}/sso/connections/${org.connectionId}`, { idp_certs: [keyB.certPem] })).statusCode, 200);
    const s = await start(org);
    assertProblem(await postAcs(t, org.acs, await idp.respond(org.spMetadata, `r@${org.domain}`, s.requestId), s.relayState, s.cookie), 401, 'sso_failed');
  });

  it('AUTH-4: a certificate that does not parse is refused when configured (no validation with a fallback key)', async () => {
    const bad = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a certificate at all, but long enough to pass the length check of the schema, surely').toString('base64')}\n-----END CERTIFICATE-----`;
    assertProblem(await api(t, a.admin, 'PATCH', `/api/v1/organizations/${a.orgId}/sso/connections/${a.connectionId}`, { idp_certs: [bad] }), 400, 'sso_metadata_invalid');
  });
});
