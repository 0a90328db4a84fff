// SAML sign-in cost (AUTH-4, issue 18), results in docs/benchmarks.md.
//
// 1. Validation throughput in process: Parapet's `validateSamlResponse` (its structural checks
//    against signature wrapping and comment injection, node-saml's signature, audience, time and
//    InResponseTo checks, then Parapet's issuer, Destination, Recipient and signed-InResponseTo
//    checks) against the raw XML signature check of the same response — xml-crypto (the library
//    node-saml verifies with) parsing the document and checking the assertion's signature with the
//    IdP certificate, nothing else (baseline). Same process, alternating rounds. The ratio is what
//    the checks beyond the signature cost. Responses are made by samlify (an RSA-2048 IdP key).
// 2. The SSO callback through the full app (PGlite or PostgreSQL as the tests choose): POST of a
//    fresh response to the ACS (state consumed, validation, replay cache, provisioning lookups,
//    session, audit) — latency p50/p99 — next to the raw signature check's p99 in the same run.
import { performance } from 'node:perf_hooks';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { createTestApp } from '../test/support/app.ts';
import { createOrg } from '../test/support/access.ts';
import { validateSamlResponse } from '../src/modules/sso/saml-sp.ts';
import { samlIdp, signingPair, testDns } from '../src/modules/sso/sso-test-fixture.ts';
import { api, authnRequestOf, postAcs, stateCookie, verifiedDomain } from '../src/modules/sso/sso-test-fixture-helpers.ts';
import { formatRate, formatRatio, measureRounds, median, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 5, ops: 300, warmup: 50, callbacks: 200, rawSamples: 400 };
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The baseline: parse the response and check the assertion's XML signature with the IdP certificate (xml-crypto). */
function rawSignatureCheck(samlResponse: string, certPem: string): void {
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS(DSIG, 'Signature')[0];
  if (signature === undefined) throw new Error('no signature');
  const check = new SignedXml({ publicCert: certPem });
  check.loadSignature(signature);
  if (!check.checkSignature(xml)) throw new Error('signature did not verify');
}

export const samlValidation: Benchmark = {
  name: 'saml-validation',
  description: 'SAML response validation/s vs the raw XML signature check; SSO callback p50/p99 through the app',
  onlyWhenNamed: true,
  run: async (out) => {
    const pair = signingPair('bench-idp');
    const idp = samlIdp(pair);
    const sp = { entityId: 'https://parapet.example.test/sso/saml/org/conn', acsUrl: 'https://parapet.example.test/sso/saml/org/conn/acs' };
    const spMetadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${sp.entityId}"><md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sp.acsUrl}" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>`;
    const requestId = '_bench-request';
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const response = await idp.respond(spMetadata, 'user@bench.example.org', requestId, { ConditionsNotOnOrAfter: later, SubjectConfirmationDataNotOnOrAfter: later });
    const connection = { idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCerts: [pair.certPem], allowIdpInitiated: false };
    // Both sides must accept the response, or the comparison is of two failures.
    rawSignatureCheck(response, pair.certPem);
    await validateSamlResponse(connection, sp, response, requestId);

    const rounds = await measureRounds({
      baseline: { label: 'raw XML signature check', run: async (ops) => { for (let i = 0; i < ops; i++) rawSignatureCheck(response, pair.certPem); await Promise.resolve(); } },
      subjects: [{ label: 'validateSamlResponse', run: async (ops) => { for (let i = 0; i < ops; i++) await validateSamlResponse(connection, sp, response, requestId); } }],
      rounds: SETTINGS.rounds,
      ops: SETTINGS.ops,
      warmupOps: SETTINGS.warmup,
      out,
    });
    const [validation] = rounds.subjects;
    if (validation === undefined) throw new Error('no subject measured');

    // 2. The callback through the app.
    const dns = await testDns();
    const t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    const latencies: number[] = [];
    const raw: number[] = [];
    try {
      const org = await createOrg(t, 'bench');
      const created = await api(t, org.admin, 'POST', `/api/v1/organizations/${org.orgId}/sso/connections`, { name: 'Bench IdP', protocol: 'saml', default_role: 'viewer', saml: { metadata_xml: idp.metadata } });
      const connectionId = created.json<{ id: string }>().id;
      const md = (await api(t, org.admin, 'GET', `/api/v1/organizations/${org.orgId}/sso/connections/${connectionId}/saml-metadata`)).json<{ acs_url: string; metadata_xml: string }>();
      const domain = `bench-${crypto.randomUUID().slice(0, 8)}.example.org`;
      await verifiedDomain(t, dns, { orgId: org.orgId, admin: org.admin }, domain, connectionId);
      const acs = new URL(md.acs_url).pathname;
      // Started and signed beforehand, so only the callback is timed; 20 users sign in in turn.
      const prepared: { xml: string; relayState: string; cookie: string }[] = [];
      for (let i = 0; i < SETTINGS.callbacks; i++) {
        const started = await t.inject({ method: 'GET', url: `/sso/start?org=${org.orgId}&connection=${connectionId}` });
        const request = authnRequestOf(String(started.headers.location));
        prepared.push({ xml: await idp.respond(md.metadata_xml, `user${String(i % 20)}@${domain}`, request.id), relayState: request.relayState, cookie: stateCookie(started).header });
      }
      for (const p of prepared) {
        const started = performance.now();
        const answer = await postAcs(t, acs, p.xml, p.relayState, p.cookie);
        latencies.push(performance.now() - started);
        if (answer.statusCode !== 303) throw new Error(`callback answered ${String(answer.statusCode)}: ${answer.body.slice(0, 200)}`);
      }
      for (let i = 0; i < SETTINGS.rawSamples; i++) {
        const started = performance.now();
        rawSignatureCheck(response, pair.certPem);
        raw.push(performance.now() - started);
      }
    } finally {
      await t.close();
      await dns.close();
    }

    for (const line of table(
      ['measure', 'value', 'baseline (same run)', 'ratio (range)'],
      [
        ['SAML response validation', `${formatRate(validation.medianOpsPerSecond)}/s`, `${formatRate(rounds.baseline.medianOpsPerSecond)}/s raw signature check`, formatRatio(validation.ratios)],
        ['SSO callback (ACS POST) p50 / p99', `${median(latencies).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} ms`, `${median(raw).toFixed(2)} / ${percentile(raw, 99).toFixed(2)} ms raw signature check`, '—'],
      ],
    ))
      out(line);
    const verdicts: Verdict[] = [
      { measure: 'SAML validation / raw XML signature check', value: formatRatio(validation.ratios), target: '(none; reported)', met: undefined },
      { measure: 'SSO callback p99', value: `${percentile(latencies, 99).toFixed(1)} ms (raw check p99 ${percentile(raw, 99).toFixed(2)} ms)`, target: '(none; reported)', met: undefined },
    ];
    return verdicts;
  },
};
