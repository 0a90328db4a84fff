// Defences of the disclosure program's credit, advisories and clocks (issue 22): credit only as
// the reporter consented (withdrawal erases the name; no choice, no listing), reporter text never
// markup on the public pages, one reporter cannot touch another's report, an expired portal
// session changes nothing, the assignee is an operator, and a reminder or escalation happens once
// even when sweeps run in parallel.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { CANARY } from '../../../test/support/browser.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { PORTAL_SESSION_TTL_MS } from './portal-service.ts';
import { reporterCookie, verifiedReport } from './portal-test-fixture.ts';

const ACK = '/security/disclosure/acknowledgments';

describe('disclosure credit, advisories and clocks: defences', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: string;
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
  const credit = (cookie: string, id: string, payload: object) => t.inject({ method: 'PUT', url: `/api/v1/disclosure/portal/reports/${id}/credit`, headers: { cookie }, payload });
  const triage = async (id: string, payload: object) => {
    const response = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload });
    assert.equal(response.statusCode, 200, response.body);
  };
  const fixed = (id: string) => triage(id, { cvss_vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', status: 'fixed' });
  const acknowledgments = async () => [...(await t.inject({ method: 'GET', url: ACK })).body.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]).sort();

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ env: smtp.env, clock });
    await t.createUser('vdp-prog-sec-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    await t.createUser('vdp-prog-sec-user@example.com', TEST_PASSWORD);
    admin = await t.login('vdp-prog-sec-admin@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('VDP-3: credit follows consent: withdrawn, the name is gone from the row, the page and the advisory; without a choice, no listing', async () => {
    const email = `consent-${crypto.randomUUID()}@example.com`;
    const withdrawn = await verifiedReport(t, smtp, email);
    const silent = await verifiedReport(t, smtp, `silent-${crypto.randomUUID()}@example.com`);
    const otherEmail = `anonymous-${crypto.randomUUID()}@example.com`;
    const anonymous = await verifiedReport(t, smtp, otherEmail);
    const cookie = await reporterCookie(t, smtp, email);
    const otherCookie = await reporterCookie(t, smtp, otherEmail);
    assert.equal((await credit(cookie, withdrawn, { consent: 'named', name: 'Grace Withdrawn' })).statusCode, 200);
    assert.equal((await credit(otherCookie, anonymous, { consent: 'anonymous' })).statusCode, 200);
    for (const id of [withdrawn, silent, anonymous]) await fixed(id);
    assert.deepEqual(await acknowledgments(), ['An anonymous researcher (2026-12)', 'Grace Withdrawn (2026-12)']);
    const published = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${withdrawn}/advisory`, headers: { cookie: admin }, payload: { title: 'Advisory', summary: 'Fixed.', product_name: 'Parapet', affected_versions: '<2.0.0', fixed_version: '2.0.0' } });
    assert.equal(published.statusCode, 201, published.body);
    const { csaf_url: csafUrl, page_url: pageUrl } = published.json<{ csaf_url: string; page_url: string }>();
    assert.match((await t.inject({ method: 'GET', url: csafUrl })).body, /Grace Withdrawn/);

    const withdrawal = await credit(cookie, withdrawn, { consent: 'none' });
    assert.equal(withdrawal.statusCode, 200, withdrawal.body);
    const row = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('disclosure_reports').select(['credit_consent', 'credit_name']).where('id', '=', withdrawn).executeTakeFirstOrThrow());
    assert.deepEqual(row, { credit_consent: 'none', credit_name: null }, 'the name is erased, not hidden');
    assert.deepEqual(await acknowledgments(), ['An anonymous researcher (2026-12)'], 'no consent (withdrawn or never given): not listed, not even anonymously');
    for (const url of [csafUrl, pageUrl]) assert.doesNotMatch((await t.inject({ method: 'GET', url })).body, /Grace|Reported by/, url);
    // A name only comes with consent to be named, and triagers cannot set credit at all.
    assert.equal((await credit(otherCookie, anonymous, { consent: 'anonymous', name: 'Sneaky' })).statusCode, 400);
    const forged = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${silent}/triage`, headers: { cookie: admin }, payload: { credit_name: 'Forged' } });
    assert.equal(forged.statusCode, 400);
  });

  it('VDP-2: a credit name is text on every public page, never markup', async () => {
    const email = `xss-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, email);
    const cookie = await reporterCookie(t, smtp, email);
    assert.equal((await credit(cookie, id, { consent: 'named', name: CANARY.slice(0, 100) })).statusCode, 200);
    await fixed(id);
    const published = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/advisory`, headers: { cookie: admin }, payload: { title: 'XSS check', summary: 'Fixed.', product_name: 'Parapet', affected_versions: '<2.1.0', fixed_version: '2.1.0' } });
    assert.equal(published.statusCode, 201, published.body);
    const portal = await t.inject({ method: 'GET', url: `/api/v1/disclosure/portal/reports`, headers: { cookie } });
    assert.equal(portal.statusCode, 200);
    for (const url of [ACK, published.json<{ page_url: string }>().page_url]) {
      const body = (await t.inject({ method: 'GET', url })).body;
      assert.doesNotMatch(body, /<img|<script/i, url);
      assert.match(body, /&#60;img src=x onerror=/, url);
    }
  });

  it('VDP-2: a reporter cannot set the credit of another reporter\u2019s report; an expired session sets nothing', async () => {
    const victim = `victim-${crypto.randomUUID()}@example.com`;
    const attacker = `attacker-${crypto.randomUUID()}@example.com`;
    const id = await verifiedReport(t, smtp, victim);
    await verifiedReport(t, smtp, attacker);
    const attackerCookie = await reporterCookie(t, smtp, attacker);
    const hijack = await credit(attackerCookie, id, { consent: 'named', name: 'Attacker' });
    assert.equal(hijack.statusCode, 404, hijack.body);
    const victimCookie = await reporterCookie(t, smtp, victim);
    clock.advance(PORTAL_SESSION_TTL_MS + 1);
    const late = await credit(victimCookie, id, { consent: 'named', name: 'Too late' });
    assert.equal(late.statusCode, 401, late.body);
    assert.equal(late.json<{ code: string }>().code, 'disclosure_session_required');
    const row = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('disclosure_reports').select(['credit_consent', 'credit_name']).where('id', '=', id).executeTakeFirstOrThrow());
    assert.deepEqual(row, { credit_consent: null, credit_name: null });
    admin = await t.login('vdp-prog-sec-admin@example.com', TEST_PASSWORD);
  });

  it('VDP-2: only an enabled platform operator can be the assignee', async () => {
    const id = await verifiedReport(t, smtp, `assignee-${crypto.randomUUID()}@example.com`);
    const user = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('email', '=', 'vdp-prog-sec-user@example.com').executeTakeFirstOrThrow());
    for (const candidate of [user.id, crypto.randomUUID()]) {
      const response = await t.inject({ method: 'POST', url: `/api/v1/platform/disclosure/reports/${id}/triage`, headers: { cookie: admin }, payload: { assignee_user_id: candidate } });
      assert.equal(response.json<{ code: string }>().code, 'invalid_assignee');
    }
  });

  it('VDP-2: parallel sweeps send each reminder and escalation once', async () => {
    const id = await verifiedReport(t, smtp, `sweep-${crypto.randomUUID()}@example.com`);
    const sweep = t.app.modules.disclosure.sweepClocks;
    clock.advance(24 * 3_600_000 + 1);
    await Promise.all([sweep(), sweep(), sweep()]);
    const events = await t.transactor.withTenant('00000000-0000-0000-0000-000000000000', (tx) => tx.selectFrom('disclosure_clock_events').select(['clock', 'event']).where('report_id', '=', id).where('event', 'in', ['reminded', 'overdue']).execute());
    assert.deepEqual(events, [{ clock: 'acknowledge', event: 'overdue' }]);
    admin = await t.login('vdp-prog-sec-admin@example.com', TEST_PASSWORD);
  });
});
