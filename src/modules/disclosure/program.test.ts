// The disclosure program beyond intake (issue 22): CVSS 4.0, the configurable business calendar
// and fix tiers, assignee, incident links, bounty, the clock history with reminders and
// escalation, credit, the acknowledgments page, advisories and CSAF 2.0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js';
import * as schemaTests from '@secvisogram/csaf-validator-lib/schemaTests.js';
import * as mandatoryTests from '@secvisogram/csaf-validator-lib/mandatoryTests.js';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { scoreCvss, scoreCvss40 } from './cvss.ts';
import { fixBy, receivedClocks } from './deadlines.ts';
import { checkSettings, DEFAULT_SETTINGS } from './settings.ts';
import { reporterCookie, verifiedReport } from './portal-test-fixture.ts';

describe('CVSS 4.0 scores (ae-cvss-calculator)', () => {
  // FIRST's CVSS v4.0 calculator: the all-high network vector, and the specification's CVE-2022-41741 example.
  const examples: [string, number, string][] = [
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3, 'critical'],
    ['CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.3, 'high'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0, 'none'],
  ];
  for (const [vector, score, severity] of examples) {
    it(`VDP-2: ${vector} scores ${score} (${severity})`, () => {
      assert.deepEqual(scoreCvss(vector), { vector, baseScore: score, severity });
    });
  }
  it('VDP-2: refuses incomplete, repeated or unknown 4.0 metrics the library would quietly complete', () => {
    for (const vector of ['CVSS:4.0/AV:N', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/SA:H', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/constructor:X']) {
      assert.throws(() => scoreCvss40(vector), (e: unknown) => e instanceof AppError && e.code === 'invalid_cvss_vector', vector);
    }
  });
});

describe('disclosure deadlines on a configured calendar', () => {
  it('VDP-2: assessment skips a weekend and configured holidays', () => {
    const settings = { ...DEFAULT_SETTINGS, holidays: ['2026-12-24', '2026-12-25', '2026-12-28', '2027-01-01'] };
    // Wednesday 23 December: 24, 25 holidays, 26-27 weekend, 28 holiday; 29, 30, 31, (1 Jan holiday), 2-3 weekend, 4, 5.
    const clocks = receivedClocks(new Date('2026-12-23T12:00:00Z'), settings);
    assert.equal(clocks.acknowledgeBy.toISOString(), '2026-12-24T12:00:00.000Z', 'acknowledgement counts calendar hours');
    assert.equal(clocks.assessBy.toISOString(), '2027-01-05T12:00:00.000Z');
  });
  it('VDP-2: other working days (Sunday to Thursday)', () => {
    const settings = { ...DEFAULT_SETTINGS, working_days: [0, 1, 2, 3, 4] };
    // Thursday 3 December + 5 working days: Sun 6, Mon 7, Tue 8, Wed 9, Thu 10.
    assert.equal(receivedClocks(new Date('2026-12-03T08:00:00Z'), settings).assessBy.toISOString(), '2026-12-10T08:00:00.000Z');
  });
  it('VDP-3: fix tiers are configurable, but a critical fix is never promised later than 90 days', () => {
    const settings = { ...DEFAULT_SETTINGS, fix_days: { critical: 14, high: 30, medium: 60, low: 90 } };
    assert.equal(fixBy(new Date('2026-01-01T00:00:00Z'), 'critical', settings)?.toISOString(), '2026-01-15T00:00:00.000Z');
    assert.throws(() => { checkSettings({ ...DEFAULT_SETTINGS, fix_days: { critical: 91, high: 120, medium: 150, low: 180 } }); }, (e: unknown) => e instanceof AppError && e.code === 'invalid_request');
    assert.throws(() => { checkSettings({ ...DEFAULT_SETTINGS, fix_days: { critical: 60, high: 30, medium: 90, low: 180 } }); }, (e: unknown) => e instanceof AppError && e.code === 'invalid_request');
    assert.throws(() => { checkSettings({ ...DEFAULT_SETTINGS, holidays: ['2026-02-30'] }); }, (e: unknown) => e instanceof AppError && e.code === 'invalid_request');
  });
});

describe('disclosure program: triage extras, credit and advisories', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: string;
  let operatorId: string;
  let userId: string;
  let orgId: string;
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
  const as = (cookie: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });
  const triage = async (id: string, payload: object) => {
    const response = await as(admin, 'POST', `/api/v1/platform/disclosure/reports/${id}/triage`, payload);
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ assignee_user_id: string | null; bounty: unknown }>();
  };

  before(async () => {
    smtp = await startTestSmtp();
    // The alert organization is created below; the option only needs to parse here, the sweep reads it from the service.
    t = await createTestApp({ env: smtp.env, clock });
    operatorId = (await t.createUser('vdp-prog-admin@example.com', TEST_PASSWORD, { platformAdmin: true })).id;
    userId = (await t.createUser('vdp-prog-user@example.com', TEST_PASSWORD)).id;
    admin = await t.login('vdp-prog-admin@example.com', TEST_PASSWORD);
    const user = await t.login('vdp-prog-user@example.com', TEST_PASSWORD);
    const org = await as(user, 'POST', '/api/v1/organizations', { name: 'Security team' });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-2: settings change the calendar of new reports; a critical tier over 90 days is refused', async () => {
    const bad = await as(admin, 'PUT', '/api/v1/platform/disclosure/settings', { ...DEFAULT_SETTINGS, fix_days: { critical: 120, high: 120, medium: 150, low: 180 } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json<{ code: string }>().code, 'invalid_request');
    const put = await as(admin, 'PUT', '/api/v1/platform/disclosure/settings', { ...DEFAULT_SETTINGS, holidays: ['2026-12-08'], fix_days: { critical: 20, high: 45, medium: 90, low: 180 } });
    assert.equal(put.statusCode, 200, put.body);
    const page = await t.inject({ method: 'GET', url: '/security/disclosure' });
    assert.match(page.body, /within 20 days if critical, 45 days if high/);
    const id = await verifiedReport(t, smtp, `cal-${crypto.randomUUID()}@example.com`);
    const report = (await as(admin, 'GET', `/api/v1/platform/disclosure/reports/${id}`)).json<{ clocks: { assess: { due_at: string } } }>();
    // Monday 7 December 09:00, Tuesday 8 a holiday: 9, 10, 11, 14, 15.
    assert.equal(report.clocks.assess.due_at, '2026-12-15T09:00:00.000Z');
  });

  it('VDP-2: a report is assigned to a platform operator only; the bounty names a tier of the published policy', async () => {
    const id = await verifiedReport(t, smtp, `assign-${crypto.randomUUID()}@example.com`);
    const notOperator = await as(admin, 'POST', `/api/v1/platform/disclosure/reports/${id}/triage`, { assignee_user_id: userId });
    assert.equal(notOperator.json<{ code: string }>().code, 'invalid_assignee');
    assert.equal((await triage(id, { assignee_user_id: operatorId })).assignee_user_id, operatorId);
    const noTier = await as(admin, 'POST', `/api/v1/platform/disclosure/reports/${id}/triage`, { bounty: { tier: 'high', amount: 'USD 1,000' } });
    assert.equal(noTier.json<{ code: string }>().code, 'invalid_bounty_tier', 'the default policy has no tiers');
    const policy = (await as(admin, 'GET', '/api/v1/platform/disclosure/policy')).json<Record<string, unknown>>();
    assert.equal((await as(admin, 'PUT', '/api/v1/platform/disclosure/policy', { ...policy, bounty_tiers: [{ severity: 'high', amount: 'USD 1,000 to 2,000' }] })).statusCode, 200);
    assert.deepEqual((await triage(id, { bounty: { tier: 'high', amount: 'USD 1,500' } })).bounty, { tier: 'high', amount: 'USD 1,500' });
    assert.equal((await triage(id, { assignee_user_id: null, bounty: null })).bounty, null);
  });

  it('VDP-2: a report opens an incident or links an existing one', async () => {
    const id = await verifiedReport(t, smtp, `incident-${crypto.randomUUID()}@example.com`);
    const missing = await as(admin, 'PUT', `/api/v1/platform/disclosure/reports/${id}/incident`, { incident_id: crypto.randomUUID() });
    assert.equal(missing.json<{ code: string }>().code, 'invalid_incident_link');
    const opened = await as(admin, 'PUT', `/api/v1/platform/disclosure/reports/${id}/incident`, { open: { title: 'Vulnerability under investigation', severity: 'high' } });
    assert.equal(opened.statusCode, 200, opened.body);
    const incidentId = opened.json<{ incident_id: string }>().incident_id;
    assert.equal((await as(admin, 'GET', `/api/v1/platform/incidents/${incidentId}`)).statusCode, 200);
    const other = await verifiedReport(t, smtp, `incident-${crypto.randomUUID()}@example.com`);
    assert.equal((await as(admin, 'PUT', `/api/v1/platform/disclosure/reports/${other}/incident`, { incident_id: incidentId })).json<{ incident_id: string }>().incident_id, incidentId);
    assert.equal((await as(admin, 'GET', `/api/v1/platform/disclosure/reports/${other}`)).json<{ incident_id: string }>().incident_id, incidentId);
  });

  it('VDP-2: reminders before and escalation after a deadline, once each, in the clock history and as security alerts', async () => {
    const id = await verifiedReport(t, smtp, `clock-${crypto.randomUUID()}@example.com`);
    const sweep = t.app.modules.disclosure.sweepClocks;
    const history = async () => (await as(admin, 'GET', `/api/v1/platform/disclosure/reports/${id}/clocks`)).json<{ items: { clock: string; event: string; due_at: string | null }[] }>().items.map((e) => `${e.clock}:${e.event}`);
    assert.deepEqual(await history(), ['acknowledge:started', 'assess:started']);
    // The acknowledgement (24 h) is within the 24 h reminder lead at once; the assessment is not.
    await sweep();
    await sweep();
    assert.deepEqual(await history(), ['acknowledge:started', 'assess:started', 'acknowledge:reminded']);
    clock.advance(24 * 3_600_000 + 1);
    admin = await t.login('vdp-prog-admin@example.com', TEST_PASSWORD);
    await sweep();
    await sweep();
    assert.deepEqual(await history(), ['acknowledge:started', 'assess:started', 'acknowledge:reminded', 'acknowledge:overdue']);
    await triage(id, { status: 'acknowledged', cvss_vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' });
    await triage(id, { status: 'assessed' });
    await triage(id, { cvss_vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N' });
    assert.deepEqual((await history()).slice(4), ['acknowledge:met', 'assess:met', 'fix:started', 'fix:moved']);
    admin = await t.login('vdp-prog-admin@example.com', TEST_PASSWORD);
  });

  it('VDP-2: with an alert organization configured, the sweep raises security alerts there', async () => {
    const { createClockSweep } = await import('./clock-sweep.ts');
    const { systemRandom } = await import('../../platform/crypto/random.ts');
    const { createLogger } = await import('../../platform/log/logger.ts');
    const id = await verifiedReport(t, smtp, `alert-${crypto.randomUUID()}@example.com`);
    const sweep = createClockSweep({ transactor: t.transactor, clock, random: systemRandom, audit: t.app.services.audit.recorder, alerts: t.app.services.alerts, alertOrganization: orgId, logger: createLogger('silent') });
    await sweep();
    clock.advance(24 * 3_600_000 + 1);
    await sweep();
    const alerts = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('security_alerts').select(['kind', 'severity']).where('tenant_id', '=', orgId).where('subject_id', '=', id).orderBy('created_at').execute());
    assert.deepEqual(alerts, [{ kind: 'disclosure_clock_reminder', severity: 'medium' }, { kind: 'disclosure_clock_overdue', severity: 'high' }]);
    admin = await t.login('vdp-prog-admin@example.com', TEST_PASSWORD);
  });

  it('VDP-3: credit with consent on the acknowledgments page and in the advisory; the CSAF 2.0 document passes the BSI validator; the provider metadata resolves', async () => {
    const email = `credit-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email, 'Reporter title, never in the advisory');
    const cookie = await reporterCookie(t, smtp, email);
    const credit = await t.inject({ method: 'PUT', url: `/api/v1/disclosure/portal/reports/${id}/credit`, headers: { cookie }, payload: { consent: 'named', name: 'Ada Researcher' } });
    assert.equal(credit.statusCode, 200, credit.body);
    assert.deepEqual(credit.json<{ credit: unknown }>().credit, { consent: 'named', name: 'Ada Researcher' });
    const early = await as(admin, 'POST', `/api/v1/platform/disclosure/reports/${id}/advisory`, { title: 'Early', summary: 'Too early.', product_name: 'Parapet', affected_versions: '<1.4.2', fixed_version: '1.4.2' });
    assert.equal(early.json<{ code: string }>().code, 'advisory_not_ready');
    assert.doesNotMatch((await t.inject({ method: 'GET', url: '/security/disclosure/acknowledgments' })).body, /Ada Researcher/, 'credited once fixed');
    await triage(id, { cvss_vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', status: 'fixed' });
    assert.match((await t.inject({ method: 'GET', url: '/security/disclosure/acknowledgments' })).body, /<li>Ada Researcher \(2026-12\)<\/li>/);

    const published = await as(admin, 'POST', `/api/v1/platform/disclosure/reports/${id}/advisory`, { tracking_id: 'PARAPET-2026-0001', title: 'Authorization bypass in the API', summary: 'A missing check let any user read other users\u2019 sessions.', product_name: 'Parapet', affected_versions: 'vers:semver/<1.4.2', fixed_version: '1.4.2', cve: 'CVE-2026-12345' });
    assert.equal(published.statusCode, 201, published.body);
    const advisory = published.json<{ page_url: string; csaf_url: string }>();
    assert.equal(advisory.csaf_url, '/.well-known/csaf/white/2026/parapet-2026-0001.json');
    const page = await t.inject({ method: 'GET', url: advisory.page_url });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Reported by Ada Researcher\./);
    assert.doesNotMatch(page.body, /Reporter title|<script/);
    assert.match((await t.inject({ method: 'GET', url: '/security/advisories' })).body, /PARAPET-2026-0001/);

    const metadata = (await t.inject({ method: 'GET', url: '/.well-known/csaf/provider-metadata.json' })).json<{ canonical_url: string; distributions: { directory_url: string }[]; metadata_version: string; role: string; publisher: { namespace: string } }>();
    assert.equal(metadata.metadata_version, '2.0');
    assert.equal(metadata.role, 'csaf_publisher');
    assert.equal(new URL(metadata.canonical_url).pathname, '/.well-known/csaf/provider-metadata.json');
    const directory = new URL(metadata.distributions[0]?.directory_url ?? '').pathname;
    const index = (await t.inject({ method: 'GET', url: `${directory}index.txt` })).body.split('\n').filter(Boolean);
    assert.deepEqual(index, ['2026/parapet-2026-0001.json']);
    assert.match((await t.inject({ method: 'GET', url: `${directory}changes.csv` })).body, /^"2026\/parapet-2026-0001\.json","2026-12-\d\dT[\d:]+Z"\n$/);
    const documentResponse = await t.inject({ method: 'GET', url: `${directory}${index[0] ?? ''}` });
    assert.equal(documentResponse.statusCode, 200);
    assert.match(String(documentResponse.headers['content-type']), /^application\/json/);
    const csaf = documentResponse.json<{ document: { category: string; tracking: { id: string }; acknowledgments: unknown; publisher: { namespace: string } }; vulnerabilities: { cve: string }[] }>();
    assert.equal(csaf.document.category, 'csaf_security_advisory');
    assert.equal(csaf.document.tracking.id, 'PARAPET-2026-0001');
    assert.deepEqual(csaf.document.acknowledgments, [{ names: ['Ada Researcher'] }]);
    assert.equal(csaf.document.publisher.namespace, metadata.publisher.namespace);
    assert.equal(csaf.vulnerabilities[0]?.cve, 'CVE-2026-12345');
    assert.doesNotMatch(documentResponse.body, /Reporter title/);
    const result = await validateStrict([...Object.values(schemaTests), ...Object.values(mandatoryTests)], csaf);
    assert.ok(result.isValid, JSON.stringify(result.tests.filter((x) => !x.isValid)));
  });

  it('VDP-3: a CVSS 4.0 advisory is valid CSAF 2.0 too (2.0 carries no 4.0 score; the page shows it)', async () => {
    const id = await verifiedReport(t, smtp, `v4-${crypto.randomUUID()}@example.com`);
    await triage(id, { cvss_vector: 'CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', status: 'fixed' });
    const published = await as(admin, 'POST', `/api/v1/platform/disclosure/reports/${id}/advisory`, { title: 'Local privilege escalation', summary: 'A local user could gain administrator rights.', product_name: 'Parapet', affected_versions: '<1.5.0', fixed_version: '1.5.0' });
    assert.equal(published.statusCode, 201, published.body);
    const { page_url: pageUrl, csaf_url: csafUrl } = published.json<{ page_url: string; csaf_url: string }>();
    assert.match((await t.inject({ method: 'GET', url: pageUrl })).body, /CVSS:4\.0\/AV:L/);
    const csaf = (await t.inject({ method: 'GET', url: csafUrl })).json<{ vulnerabilities: { scores?: unknown }[]; document: { acknowledgments?: unknown } }>();
    assert.equal(csaf.vulnerabilities[0]?.scores, undefined);
    assert.equal(csaf.document.acknowledgments, undefined, 'no consent given, no credit');
    const result = await validateStrict([...Object.values(schemaTests), ...Object.values(mandatoryTests)], csaf);
    assert.ok(result.isValid, JSON.stringify(result.tests.filter((x) => !x.isValid)));
  });
});
