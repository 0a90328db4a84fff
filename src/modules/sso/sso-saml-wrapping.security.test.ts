import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { samlIdp, signingPair, testDns, type SamlIdp, type TestDns } from './sso-test-fixture.ts';
import { postAcs } from './sso-test-fixture-helpers.ts';
import { accountExists, lastRefusal, samlOrg, startSaml, type SamlOrg } from './sso-saml-test-org.ts';

/** The pieces of a signed response an XML signature wrapping attack is made of. */
function pieces(signed: string, victim: string, forged: string) {
  const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)?.[0] ?? '';
  const signature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(assertion)?.[0] ?? '';
  assert.ok(assertion !== '' && signature !== '', 'the IdP signs the assertion');
  const bare = assertion.replace(signature, '');
  return {
    assertion,
    signature,
    /** The original assertion without its signature (its ID unchanged). */
    bare,
    /** A forged, unsigned assertion naming `forged`, under a new ID. */
    evil: bare.replace(/ ID="[^"]+"/, ' ID="_evil"').replaceAll(victim, forged),
    /** The signed assertion with its subject changed to `forged` (its ID and signature kept). */
    tampered: assertion.replaceAll(victim, forged),
    /** The signature with `inner` in a ds:Object. */
    signatureHolding: (inner: string) => signature.replace('</ds:Signature>', `<ds:Object>${inner}</ds:Object></ds:Signature>`),
  };
}

/** Inserts `xml` right after an assertion's own Issuer (where a signature goes). */
function afterIssuer(assertion: string, xml: string): string {
  return assertion.replace(/(<saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${xml}`);
}

/**
 * The XML signature wrapping variants 3–8 (Somorovsky et al., "On Breaking SAML", 2012; the names
 * SAML Raider uses) against a response whose assertion is signed. Variants 1–2 move a signed
 * Response, which Parapet does not rely on; the suite in sso-saml.security.test.ts covers two more layouts.
 */
const XSW: Record<string, (signed: string, p: ReturnType<typeof pieces>) => string> = {
  // The forged assertion first, the signed original after it, both children of the Response.
  XSW3: (signed, p) => signed.replace(p.assertion, p.evil + p.assertion),
  // The forged assertion wraps the signed original as its last child.
  XSW4: (signed, p) => signed.replace(p.assertion, p.evil.replace(/<\/saml:Assertion>$/, `${p.assertion}</saml:Assertion>`)),
  // The signed assertion's content forged (signature kept); an unsigned copy of the original appended to the Response.
  XSW5: (signed, p) => signed.replace(p.assertion, p.tampered).replace('</samlp:Response>', `${p.bare}</samlp:Response>`),
  // A forged assertion carries the signature; the original (which the signature's digest matches) sits inside it, in a ds:Object.
  XSW6: (signed, p) => signed.replace(p.assertion, afterIssuer(p.evil, p.signatureHolding(p.bare))),
  // The signed original moved into an Extensions element; the forged assertion in its place.
  XSW7: (signed, p) => signed.replace(p.assertion, `<samlp:Extensions>${p.assertion}</samlp:Extensions>${p.evil}`),
  // The signed assertion's content forged; its signature holds the unsigned original in a ds:Object.
  XSW8: (signed, p) => signed.replace(p.assertion, p.tampered.replace(p.signature, p.signatureHolding(p.bare))),
};

// AUTH-4 (issue 18): the attacks on SAML that need a hand-altered response, each refused with
// `sso_failed` to the browser and `sso.sign_in_refused` with its reason in the organization's log.
describe('sso: SAML signature wrapping, comment injection, signature placement, time and replay (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let idp: SamlIdp;
  let a: SamlOrg;

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    idp = samlIdp(signingPair('idp-wrap'));
    a = await samlOrg(t, dns, 'wrap', idp);
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  for (const [name, wrap] of Object.entries(XSW)) {
    it(`AUTH-4: XML signature wrapping ${name} does not sign in as the forged subject`, async () => {
      const s = await startSaml(t, a);
      const victim = `victim-${name.toLowerCase()}@${a.domain}`;
      const forged = `admin-${name.toLowerCase()}@${a.domain}`;
      const signed = Buffer.from(await idp.respond(a.spMetadata, victim, s.requestId), 'base64').toString('utf8');
      const wrapped = wrap(signed, pieces(signed, victim, forged));
      assert.notEqual(wrapped, signed);
      assertProblem(await postAcs(t, a.acs, Buffer.from(wrapped).toString('base64'), s.relayState, s.cookie), 401, 'sso_failed');
      assert.equal(await accountExists(t, forged), false);
      assert.equal(await accountExists(t, victim), false, 'a wrapped response signs in no one');
      assert.ok(['wrapped_assertion', 'signature_invalid'].includes(String(await lastRefusal(t, a))), String(await lastRefusal(t, a)));
    });
  }

  it('AUTH-4: comment injection in NameID (user@org<!---->.evil) does not sign in as the address before the comment', async () => {
    const s = await startSaml(t, a);
    const target = `admin@${a.domain}`;
    const signedFor = `${target}.evil.example`;
    const signed = Buffer.from(await idp.respond(a.spMetadata, signedFor, s.requestId), 'base64').toString('utf8');
    // The comment is dropped by canonicalization, so the signature still verifies after it is added.
    const injected = signed.replaceAll(signedFor, `${target}<!---->.evil.example`);
    assert.notEqual(injected, signed);
    assertProblem(await postAcs(t, a.acs, Buffer.from(injected).toString('base64'), s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await accountExists(t, target), false);
    assert.equal(await lastRefusal(t, a), 'comment_in_identity');
  });

  it('AUTH-4: an unsigned assertion inside a signed response is refused (the assertion itself must be signed)', async () => {
    const s = await startSaml(t, a);
    // An SP that does not want signed assertions makes the IdP sign the Response only.
    const responseOnly = a.spMetadata.replace('WantAssertionsSigned="true"', 'WantAssertionsSigned="false"');
    assert.notEqual(responseOnly, a.spMetadata);
    const xml = await idp.respond(responseOnly, `unsigned-assertion@${a.domain}`, s.requestId);
    const decoded = Buffer.from(xml, 'base64').toString('utf8');
    assert.match(decoded, /<samlp:Response[^>]*>\s*<saml:Issuer>[^<]*<\/saml:Issuer>\s*<ds:Signature/, 'the response is signed');
    assert.doesNotMatch(/<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(decoded)?.[0] ?? '', /<ds:Signature/, 'the assertion is not');
    assertProblem(await postAcs(t, a.acs, xml, s.relayState, s.cookie), 401, 'sso_failed');
    assert.equal(await accountExists(t, `unsigned-assertion@${a.domain}`), false);
    assert.equal(await lastRefusal(t, a), 'signature_invalid');
  });

  it('AUTH-4: a signed assertion inside an unsigned response re-addressed to another sign-in (its InResponseTo rewritten) is refused', async () => {
    const victim = await startSaml(t, a);
    const attacker = await startSaml(t, a);
    const signed = Buffer.from(await idp.respond(a.spMetadata, `reverse@${a.domain}`, victim.requestId), 'base64').toString('utf8');
    // Only the Response's (unsigned) InResponseTo; the signed SubjectConfirmationData still names the victim's request.
    const readdressed = signed.replace(`InResponseTo="${victim.requestId}"`, `InResponseTo="${attacker.requestId}"`);
    assert.notEqual(readdressed, signed);
    assertProblem(await postAcs(t, a.acs, Buffer.from(readdressed).toString('base64'), attacker.relayState, attacker.cookie), 401, 'sso_failed');
    assert.equal(await accountExists(t, `reverse@${a.domain}`), false);
    assert.ok(['in_response_to_mismatch', 'in_response_to_invalid'].includes(String(await lastRefusal(t, a))));
  });

  it('AUTH-4: a solicited assertion whose unsigned Response lost its InResponseTo is not accepted as an unsolicited one (IdP-initiated on)', async () => {
    const org = await samlOrg(t, dns, 'strip', idp, { allow_idp_initiated: true });
    const s = await startSaml(t, org);
    const signed = Buffer.from(await idp.respond(org.spMetadata, `stripped@${org.domain}`, s.requestId), 'base64').toString('utf8');
    const stripped = signed.replace(` InResponseTo="${s.requestId}"`, '');
    assert.notEqual(stripped, signed);
    // Posted without the RelayState and cookie of the browser it was meant for: as if IdP-initiated.
    assertProblem(await postAcs(t, org.acs, Buffer.from(stripped).toString('base64'), undefined, undefined), 401, 'sso_failed');
    assert.equal(await accountExists(t, `stripped@${org.domain}`), false);
    assert.equal(await lastRefusal(t, org), 'unsolicited');
  });

  it('AUTH-4: an assertion whose NotBefore is beyond the allowed clock skew (2 minutes) is refused; within it, accepted', async () => {
    const future = await startSaml(t, a);
    const later = new Date(Date.now() + 5 * 60_000).toISOString();
    const early = await idp.respond(a.spMetadata, `early@${a.domain}`, future.requestId, { ConditionsNotBefore: later });
    assertProblem(await postAcs(t, a.acs, early, future.relayState, future.cookie), 401, 'sso_failed');
    assert.equal(await lastRefusal(t, a), 'not_yet_valid');
    const skewed = await startSaml(t, a);
    const soon = new Date(Date.now() + 60_000).toISOString();
    const within = await idp.respond(a.spMetadata, `skewed@${a.domain}`, skewed.requestId, { ConditionsNotBefore: soon });
    assert.equal((await postAcs(t, a.acs, within, skewed.relayState, skewed.cookie)).statusCode, 303);
  });

  it('AUTH-4: an assertion accepted on one node is refused on a second node sharing the database (IdP-initiated and SP-initiated)', async () => {
    const org = await samlOrg(t, dns, 'nodes', idp, { allow_idp_initiated: true });
    const second = await createTestApp({ database: t.database, env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    try {
      const unsolicited = await idp.respond(org.spMetadata, `nodes@${org.domain}`, undefined);
      assert.equal((await postAcs(t, org.acs, unsolicited, undefined, undefined)).statusCode, 303, String(await lastRefusal(t, org)));
      assertProblem(await postAcs(second, org.acs, unsolicited, undefined, undefined), 401, 'sso_failed');
      assert.equal(await lastRefusal(t, org), 'assertion_replayed');
      const s = await startSaml(t, org);
      const solicited = await idp.respond(org.spMetadata, `nodes@${org.domain}`, s.requestId);
      assert.equal((await postAcs(t, org.acs, solicited, s.relayState, s.cookie)).statusCode, 303);
      assertProblem(await postAcs(second, org.acs, solicited, s.relayState, s.cookie), 401, 'sso_failed');
      assert.equal(await lastRefusal(t, org), 'state_unknown_or_used');
    } finally {
      await second.close();
    }
  });
});
