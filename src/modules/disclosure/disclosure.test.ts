import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { mailTo, startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { scoreCvss31 } from './cvss.ts';
import { fixBy, receivedClocks } from './deadlines.ts';

describe('CVSS 3.1 scores (ae-cvss-calculator)', () => {
  // Published base scores: the CVSS v3.1 specification's examples and NVD entries.
  const examples: [string, number, string][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'critical'], // e.g. CVE-2021-44228 per NVD is 10.0 with S:C, below
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0, 'critical'], // CVE-2021-44228 (Log4Shell), NVD
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 'medium'], // reflected XSS, spec example (phpMyAdmin CVE-2013-1937)
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9, 'medium'], // CVE-2014-0160 (Heartbleed) rescored in 3.1
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 'high'], // local privilege escalation, e.g. CVE-2021-4034 (PwnKit), NVD
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6, 'low'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, 'none'],
  ];
  for (const [vector, score, severity] of examples) {
    it(`VDP-2: ${vector} scores ${score} (${severity})`, () => {
      const result = scoreCvss31(vector);
      assert.equal(result.baseScore, score);
      assert.equal(result.severity, severity);
    });
  }

  it('VDP-2: refuses vectors the library would quietly complete: missing metrics, repeats, unknown values, other versions', () => {
    for (const vector of ['CVSS:3.1/AV:N', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'garbage', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y']) {
      assert.throws(() => scoreCvss31(vector), (e: unknown) => e instanceof AppError && e.code === 'invalid_cvss_vector', vector);
    }
  });
});

describe('disclosure deadlines', () => {
  it('VDP-2: acknowledgement is due 24 h after receipt, assessment 5 business days later, skipping the weekend', () => {
    const friday = new Date('2026-12-04T15:00:00Z');
    const clocks = receivedClocks(friday);
    assert.equal(clocks.acknowledgeBy.toISOString(), '2026-12-05T15:00:00.000Z');
    assert.equal(clocks.assessBy.toISOString(), '2026-12-11T15:00:00.000Z');
  });
  it('VDP-2: the fix deadline follows severity, critical within 90 days at the latest; none has no deadline', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const days = (d: Date | null) => (d === null ? null : (d.getTime() - at.getTime()) / 86_400_000);
    assert.ok((days(fixBy(at, 'critical')) ?? Infinity) <= 90);
    assert.deepEqual([days(fixBy(at, 'critical')), days(fixBy(at, 'high')), days(fixBy(at, 'medium')), days(fixBy(at, 'low')), days(fixBy(at, 'none'))], [30, 60, 90, 180, null]);
  });
});

describe('disclosure program end to end', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: string;
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env, clock });
    await t.createUser('vdp-e2e-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('vdp-e2e-admin@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-3: the policy page is HTML without script: scope, safe harbor, rules, bounty tiers and the report form', async () => {
    const page = await t.inject({ method: 'GET', url: '/security/disclosure' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    for (const heading of ['Scope', 'Safe harbor', 'Rules of engagement', 'Bounty tiers', 'Report a vulnerability']) assert.match(page.body, new RegExp(`<h2>${heading}</h2>`));
    assert.match(page.body, /authorized under anti-hacking laws/);
    assert.doesNotMatch(page.body, /<script/i);
  });

  it('VDP-3: a platform administrator edits the policy (bounty tiers included); the text is escaped on the page', async () => {
    const policy = { program_name: 'Acme <b>VDP</b>', in_scope: ['api.acme.test'], out_of_scope: ['DoS'], safe_harbor: ['We will not sue.'], rules: ['Be kind.'], bounty_tiers: [{ severity: 'critical', amount: 'USD 5,000' }] };
    const put = await t.inject({ method: 'PUT', url: '/api/v1/platform/disclosure/policy', headers: { cookie: admin }, payload: policy });
    assert.equal(put.statusCode, 200, put.body);
    const page = await t.inject({ method: 'GET', url: '/security/disclosure' });
    assert.match(page.body, /Acme &#60;b&#62;VDP&#60;\/b&#62;/);
    assert.match(page.body, /<td>critical<\/td><td>USD 5,000<\/td>/);
  });

  it('VDP-2: a verified report runs its clocks through triage: acknowledged, assessed with a CVSS vector, fixed', async () => {
    const email = `e2e-${crypto.randomUUID()}@example.com`;
    assert.equal((await t.inject({ method: 'POST', url: '/api/v1/disclosure/reports', payload: { email, title: 'IDOR', body: 'details' } })).statusCode, 202);
    const token = /#token=([A-Za-z0-9_-]{43})/.exec((await mailTo(t, smtp, email, /Confirm your vulnerability report/)).text)?.[1];
    const verified = await t.inject({ method: 'POST', url: '/api/v1/disclosure/verify', payload: { token } });
    assert.equal(verified.statusCode, 200, verified.body);
    const id = verified.json<{ report_id: string }>().report_id;
    type View = { status: string; severity: string | null; cvss_score: number | null; clocks: Record<'acknowledge' | 'assess' | 'fix', { due_at: string; state: string; late: boolean } | null> };
    const triage = async (payload: object) => {
      const response = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<View>();
    };
    clock.advance(25 * 3_600_000);
    admin = await t.login('vdp-e2e-admin@example.com', TEST_PASSWORD);
    const listed = (await t.inject({ method: 'GET', url: '/api/v1/platform/disclosure/reports', headers: { cookie: admin } })).json<{ items: (View & { id: string })[] }>().items.find((r) => r.id === id);
    assert.equal(listed?.clocks.acknowledge?.state, 'overdue');
    assert.equal(listed.clocks.assess?.due_at, '2026-12-14T09:00:00.000Z');
    const acknowledged = await triage({ status: 'acknowledged' });
    assert.deepEqual(acknowledged.clocks.acknowledge && { state: acknowledged.clocks.acknowledge.state, late: acknowledged.clocks.acknowledge.late }, { state: 'met', late: true });
    const early = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload: { status: 'assessed' } });
    assert.equal(early.json<{ code: string }>().code, 'invalid_status_change', 'no assessment without a severity');
    const bad = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload: { cvss_vector: 'CVSS:3.1/AV:N' } });
    assert.equal(bad.json<{ code: string }>().code, 'invalid_cvss_vector');
    const assessed = await triage({ cvss_vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', status: 'assessed' });
    assert.equal(assessed.severity, 'critical');
    assert.equal(assessed.cvss_score, 9.8);
    assert.equal(assessed.clocks.assess?.state, 'met');
    assert.equal(assessed.clocks.fix?.due_at, new Date(clock.now().getTime() + 30 * 86_400_000).toISOString());
    const fixed = await triage({ status: 'fixed' });
    assert.equal(fixed.clocks.fix?.state, 'met');
    const reopened = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload: { status: 'acknowledged' } });
    assert.equal(reopened.statusCode, 409);
  });

  it('VDP-2: every step is an audit event', async () => {
    // Recorded events wait in the inbox until the sequencer moves them into the log: read both.
    const actions = await t.database.db.withOwner((s) => s.query<{ action: string }>(`select action from audit_events where action like 'disclosure.%' union select event->>'action' from audit_inbox where event->>'action' like 'disclosure.%'`));
    const names = new Set(actions.map((a) => a.action));
    for (const a of ['disclosure.report_submitted', 'disclosure.report_verified', 'disclosure.report_triaged', 'disclosure.policy_changed', 'disclosure.report_read']) assert.ok(names.has(a), a);
  });
});
