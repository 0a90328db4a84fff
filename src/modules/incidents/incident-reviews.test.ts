// Issue 21: the post-incident review with actions (IR-1) meeting the 14-day report clock (IR-2), the
// 15-minute status-page update clock (IR-4) warning and escalating once on one node of two, and
// notice clocks counted in business hours on the shared calendar — all with an injected clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { platformEvents } from '../../../test/support/passkeys.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { createIncidents, type ClockView, type EscalationView } from './incidents-service.ts';
import { parseSeverities } from './options.ts';

const MIN = 60_000;
const SEVERITIES = 'sev1:1h/2h,sev2:4h/6h';

describe('post-incident review, status-page clock and business hours (IR-1, IR-2, IR-4)', () => {
  // Friday 4 December 2026, 15:00 UTC: a business-hours clock runs over the weekend.
  const clock = manualClock(new Date('2026-12-04T15:00:00Z'));
  const oncall = `review-oncall-${crypto.randomUUID()}@example.com`;
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: string;
  let adminId: string;
  let other: string;
  const emails = { admin: `review-admin-${crypto.randomUUID()}@example.com`, other: `review-other-${crypto.randomUUID()}@example.com` };
  /** Sessions end when the injected clock jumps days ahead: sign in again. */
  const signIn = async () => {
    admin = await t.login(emails.admin, TEST_PASSWORD);
    other = await t.login(emails.other, TEST_PASSWORD);
  };

  const as = (cookie: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object) => t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object) => as(admin, method, url, payload);
  const open = async (severity: string, extra: object = {}) => {
    const res = await api('POST', '/api/v1/platform/incidents', { title: `A ${severity} incident`, severity, ...extra });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };
  const detail = async (id: string) => {
    const res = await api('GET', `/api/v1/platform/incidents/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ clocks: ClockView[]; escalations: EscalationView[]; timeline: { kind: string; body: string }[] }>();
  };
  const clocksNamed = async (id: string, name: string) => (await detail(id)).clocks.filter((c) => c.clock === name);

  before(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({
      clock,
      env: {
        ...smtp.env,
        PARAPET_INCIDENT_SEVERITIES: SEVERITIES,
        PARAPET_INCIDENT_ESCALATION_EMAILS: oncall,
        PARAPET_INCIDENT_BUSINESS_HOURS_CLOCKS: 'first_notice',
        PARAPET_INCIDENT_WORKING_DAYS: '1,2,3,4,5',
        PARAPET_INCIDENT_WORKING_HOURS: '09:00-17:00',
        PARAPET_INCIDENT_TIME_ZONE: 'Europe/Berlin',
        PARAPET_INCIDENT_HOLIDAYS: '2026-12-07',
      },
    });
    adminId = (await t.createUser(emails.admin, TEST_PASSWORD, { platformAdmin: true })).id;
    await t.createUser(emails.other, TEST_PASSWORD, { platformAdmin: true });
    await signIn();
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('IR-1: a review with summary, root cause, what went well and badly, and actions with owner, due date and status; publishing it meets the 14-day report clock, once, audited', async () => {
    const id = await open('sev2', { commander_id: adminId });
    const early = await api('POST', `/api/v1/platform/incidents/${id}/review/publish`);
    assert.equal(early.json<{ code: string }>().code, 'incident_open', 'an open incident has no review to publish yet');
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${id}`, { resolved: true })).statusCode, 204);
    const [report] = await clocksNamed(id, 'post_incident_report');
    assert.equal(report?.due_at, new Date(clock.now().getTime() + 14 * 24 * 60 * MIN).toISOString());
    assert.equal(report?.state, 'pending');

    const incomplete = await api('POST', `/api/v1/platform/incidents/${id}/review/publish`);
    assert.equal(incomplete.statusCode, 409);
    assert.equal(incomplete.json<{ code: string }>().code, 'review_incomplete');
    // Only the commander writes the review once one is set.
    const notCommander = await as(other, 'PUT', `/api/v1/platform/incidents/${id}/review`, { summary: 's', root_cause: 'r', went_well: '', went_badly: '' });
    assert.equal(notCommander.json<{ code: string }>().code, 'incident_role_required');
    const text = { summary: 'The primary failed over.', root_cause: 'A disk filled up.', went_well: 'Paging worked.', went_badly: 'Alerting was late.' };
    assert.equal((await api('PUT', `/api/v1/platform/incidents/${id}/review`, text)).statusCode, 204);
    const action = await api('POST', `/api/v1/platform/incidents/${id}/review/actions`, { title: 'Alert on disk usage', owner_id: adminId, due_on: '2026-12-31' });
    assert.equal(action.statusCode, 201, action.body);
    const actionId = action.json<{ id: string; status: string }>().id;
    assert.equal(action.json<{ status: string }>().status, 'open');
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/review/actions`, { title: 'x', due_on: '2026-02-31' })).statusCode, 400, 'not a calendar day');

    clock.advance(3 * 24 * 60 * MIN);
    await signIn();
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/review/publish`)).statusCode, 204);
    const [met] = await clocksNamed(id, 'post_incident_report');
    assert.deepEqual([met?.state, met?.met_by, met?.met_late], ['met', `review:${id}`, false]);
    const again = await api('POST', `/api/v1/platform/incidents/${id}/review/publish`);
    assert.equal(again.json<{ code: string }>().code, 'review_published');
    assert.equal((await api('PUT', `/api/v1/platform/incidents/${id}/review`, text)).json<{ code: string }>().code, 'review_published', 'a published review is fixed');
    // Actions stay open to work after publication.
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${id}/review/actions/${actionId}`, { status: 'done' })).statusCode, 204);
    const read = (await api('GET', `/api/v1/platform/incidents/${id}/review`)).json<{ review: typeof text & { published_at: string | null }; actions: { status: string; owner_id: string; due_on: string }[] }>();
    assert.equal(read.review.root_cause, text.root_cause);
    assert.equal(read.review.published_at, clock.now().toISOString());
    assert.deepEqual(read.actions.map((a) => [a.status, a.owner_id, a.due_on]), [['done', adminId, '2026-12-31']]);
    const mine = async (action: string) => (await platformEvents(t, action)).filter((e) => e.targets.some((x) => x.id === id)).length;
    assert.equal(await mine('incident.review_saved'), 1);
    assert.equal(await mine('incident.review_published'), 1);
    assert.equal(await mine('incident.review_action_changed'), 2);
    assert.equal((await as(other, 'GET', `/api/v1/platform/incidents/${crypto.randomUUID()}/review`)).statusCode, 404);
  });

  it('IR-4: a customer-visible change starts a 15-minute status-page clock (one at a time) that a public update meets; a note does not', async () => {
    const id = await open('sev2');
    assert.deepEqual(await clocksNamed(id, 'status_page_update'), [], 'opening announces itself on /status');
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'note', body: 'internal' })).statusCode, 201);
    assert.deepEqual(await clocksNamed(id, 'status_page_update'), []);
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'contain' })).statusCode, 204);
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${id}`, { severity: 'sev1' })).statusCode, 204);
    const clocks = await clocksNamed(id, 'status_page_update');
    assert.equal(clocks.length, 1, 'one clock while one is running');
    assert.equal(clocks[0]?.due_at, new Date(clock.now().getTime() + 15 * MIN).toISOString());
    assert.match(clocks[0]?.source ?? '', /15 minutes/);
    clock.advance(5 * MIN);
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'Contained; severity raised.' })).statusCode, 201);
    const [met] = await clocksNamed(id, 'status_page_update');
    assert.equal(met?.state, 'met');
    assert.match(met?.met_by ?? '', /^update:/);
  });

  it('IR-4: the status-page clock warns once and escalates once when overdue, whichever of two nodes runs', async () => {
    const id = await open('sev2');
    const b = createIncidents({ transactor: t.transactor, clock, random: systemRandom, audit: t.app.services.audit.recorder, alerts: t.app.services.alerts, alertOrganization: undefined, logger: createLogger('silent'), severities: parseSeverities(SEVERITIES), mail: t.app.services.mail, escalation: { emails: [oncall] } });
    const a = t.app.modules.incidents;
    await Promise.all([a.escalateOverdue(), b.escalateOverdue()]);
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${id}`, { title: 'Renamed for customers' })).statusCode, 204);
    const spu = async () => (await detail(id)).escalations.filter((e) => e.clock === 'status_page_update').map((e) => e.kind).sort();
    clock.advance(12 * MIN); // 3 minutes left: within the warning (a quarter of 15 minutes)
    await Promise.all([a.escalateOverdue(), b.escalateOverdue(), a.escalateOverdue(), b.escalateOverdue()]);
    assert.deepEqual(await spu(), ['warning']);
    clock.advance(4 * MIN);
    await Promise.all([a.escalateOverdue(), b.escalateOverdue(), a.escalateOverdue(), b.escalateOverdue()]);
    assert.deepEqual(await spu(), ['overdue', 'warning']);
    await Promise.all([a.deliverEscalations(), b.deliverEscalations()]);
    await t.app.services.mail.idle();
    await smtp.waitFor((m) => m.to.includes(oncall) && /^Overdue: status_page_update/.test(m.subject));
    assert.equal(smtp.messages.filter((m) => m.to.includes(oncall) && m.text.includes(id) && /status_page_update/.test(m.subject)).length, 2, 'one warning mail, one overdue mail');
    const overdue = (await platformEvents(t, 'incident.clock_overdue')).filter((e) => e.targets.some((x) => x.id === id) && e.metadata['clock'] === 'status_page_update');
    assert.equal(overdue.length, 1);
  });

  it('IR-2: a notice clock configured for business hours counts working hours in the time zone, skipping the weekend and a holiday; the regulatory clocks keep elapsed time', async () => {
    // Friday 16:00 Berlin (15:00 UTC), sev2 first notice 4 working hours: 1 h Friday, Monday 7th is a
    // holiday, so 3 h on Tuesday from 09:00 Berlin: Tuesday 8 December 12:00 Berlin, 11:00 UTC.
    clock.set(new Date('2026-12-04T15:00:00Z'));
    await signIn();
    const id = await open('sev2');
    const [first] = await clocksNamed(id, 'first_notice');
    assert.equal(first?.due_at, '2026-12-08T11:00:00.000Z');
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/breach`, {})).statusCode, 204);
    const [gdpr] = await clocksNamed(id, 'gdpr_art33');
    assert.equal(gdpr?.due_at, '2026-12-07T15:00:00.000Z', 'GDPR Art. 33: 72 hours, nights and weekends included');
    // The update cadence is not in PARAPET_INCIDENT_BUSINESS_HOURS_CLOCKS: 6 elapsed hours.
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'Investigating.' })).statusCode, 201);
    const [update] = await clocksNamed(id, 'update');
    assert.equal(update?.due_at, new Date(clock.now().getTime() + 6 * 60 * MIN).toISOString());
  });
});
