// Incidents and their clocks through the API (IR-1, IR-2, IR-3), with an injected clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { platformEvents } from '../../../test/support/passkeys.ts';
import { manualClock } from '../../platform/clock.ts';
import type { ClockView } from './incidents-service.ts';

const HOUR = 3_600_000;

describe('incidents and clocks (IR-1, IR-2, IR-3)', () => {
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
  let t: TestApp;
  let admin: string;

  const login = async () => { admin = await t.login('ir-admin@example.com', TEST_PASSWORD); };
  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.inject({ method, url, headers: { cookie: admin }, ...(payload === undefined ? {} : { payload }) });
  const open = async (severity: string, extra: object = {}) => {
    const res = await api('POST', '/api/v1/platform/incidents', { title: `A ${severity} incident`, severity, ...extra });
    assert.equal(res.statusCode, 201, res.statusCode === 500 ? t.logs.filter((l) => l.includes('"level":50')).join('\n') : res.body);
    return res.json<{ id: string }>().id;
  };
  const clocksOf = async (id: string) => {
    const res = await api('GET', `/api/v1/platform/incidents/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ clocks: ClockView[] }>().clocks;
  };

  before(async () => {
    t = await createTestApp({ clock });
    await t.createUser('ir-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    await login();
  });
  after(async () => {
    await t.close();
  });

  it('IR-2: a critical incident owes a first notice within 1 hour, warns in the last quarter, and a public update meets it and starts the 2-hour cadence', async () => {
    const id = await open('critical');
    let [first] = await clocksOf(id);
    assert.equal(first?.clock, 'first_notice');
    assert.equal(first?.due_at, '2026-12-07T10:00:00.000Z');
    assert.equal(first?.state, 'pending');
    assert.equal(first?.seconds_left, 3600);
    clock.advance(50 * 60_000);
    await login(); // the session's idle timeout runs on the same clock
    [first] = await clocksOf(id);
    assert.equal(first?.state, 'warning');
    assert.equal(first?.seconds_left, 600);
    const update = await api('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'We are investigating elevated error rates.' });
    assert.equal(update.statusCode, 201, update.body);
    const clocks = await clocksOf(id);
    assert.equal(clocks[0]?.state, 'met');
    assert.equal(clocks[0]?.met_by, `update:${update.json<{ id: string }>().id}`);
    assert.equal(clocks[0]?.met_late, false);
    assert.equal(clocks[1]?.clock, 'update');
    assert.equal(clocks[1]?.due_at, '2026-12-07T11:50:00.000Z');
    assert.equal(clocks[1]?.state, 'pending');
  });

  it('IR-2: high owes 4 h then every 6 h, medium 24 h then daily, low has no notice clock', async () => {
    const start = clock.now().getTime();
    const high = await open('high');
    assert.equal((await clocksOf(high)).find((c) => c.clock === 'first_notice')?.due_at, new Date(start + 4 * HOUR).toISOString());
    await api('POST', `/api/v1/platform/incidents/${high}/entries`, { kind: 'public_update', body: 'Update.' });
    assert.equal((await clocksOf(high)).find((c) => c.clock === 'update')?.due_at, new Date(start + 6 * HOUR).toISOString());
    const medium = await open('medium');
    assert.equal((await clocksOf(medium)).find((c) => c.clock === 'first_notice')?.due_at, new Date(start + 24 * HOUR).toISOString());
    await api('POST', `/api/v1/platform/incidents/${medium}/entries`, { kind: 'public_update', body: 'Update.' });
    assert.equal((await clocksOf(medium)).find((c) => c.clock === 'update')?.due_at, new Date(start + 24 * HOUR).toISOString());
    assert.deepEqual(await clocksOf(await open('low')), []);
  });

  it('IR-2: an internal note meets no clock', async () => {
    const id = await open('critical');
    await api('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'note', body: 'Looked at the logs.' });
    const clocks = await clocksOf(id);
    assert.equal(clocks.length, 1);
    assert.notEqual(clocks[0]?.state, 'met');
  });

  it('IR-3: marking a personal-data breach starts GDPR Art. 33 72 h and NIS2 24 h / 72 h / one month from awareness; a clock is met once, by what is recorded', async () => {
    const id = await open('high');
    const aware = new Date(clock.now().getTime() - 10 * HOUR);
    const marked = await api('POST', `/api/v1/platform/incidents/${id}/breach`, { aware_at: aware.toISOString() });
    assert.equal(marked.statusCode, 204, marked.body);
    // Idempotent: marking again starts no second set of clocks.
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/breach`, {})).statusCode, 204);
    const clocks = await clocksOf(id);
    const due = Object.fromEntries(clocks.map((c) => [c.clock, c]));
    assert.equal(clocks.length, 8, 'first notice, GDPR, NIS2 ×3, DPDP, CERT-In, customers');
    assert.equal(due['customer_breach_notice']?.due_at, new Date(aware.getTime() + 72 * HOUR).toISOString(), 'the default customer window is 72 h');
    assert.equal(due['gdpr_art33']?.due_at, new Date(aware.getTime() + 72 * HOUR).toISOString());
    assert.equal(due['gdpr_art33']?.seconds_left, 62 * 3600);
    assert.match(due['gdpr_art33']?.source ?? '', /GDPR Art\. 33/);
    assert.equal(due['nis2_early_warning']?.due_at, new Date(aware.getTime() + 24 * HOUR).toISOString());
    assert.equal(due['nis2_notification']?.due_at, new Date(aware.getTime() + 72 * HOUR).toISOString());
    assert.equal(due['nis2_final_report']?.due_at, new Date(aware.getTime() + 30 * 24 * HOUR).toISOString());
    const gdpr = due['gdpr_art33']?.id ?? '';
    const met = await api('POST', `/api/v1/platform/incidents/${id}/clocks/${gdpr}/met`, { by: 'Notified the CNIL, reference 2026-123' });
    assert.equal(met.statusCode, 204, met.body);
    const again = await api('POST', `/api/v1/platform/incidents/${id}/clocks/${gdpr}/met`, { by: 'again' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json<{ code: string }>().code, 'clock_already_met');
    const after = (await clocksOf(id)).find((c) => c.id === gdpr);
    assert.equal(after?.state, 'met');
    assert.equal(after?.met_by, 'Notified the CNIL, reference 2026-123');
    const events = await platformEvents(t, 'incident.breach_marked');
    assert.equal(events.filter((e) => e.targets.some((target) => target.id === id)).length, 1);
    assert.equal((await platformEvents(t, 'incident.clock_met')).filter((e) => e.targets.some((target) => target.id === id)).length, 1);
  });

  it('IR-1: phases follow NIST SP 800-61r3; resolving meets the notice clocks, starts the 14-day post-incident report, and freezes the incident', async () => {
    const id = await open('critical');
    for (const phase of ['analyse', 'contain', 'eradicate', 'recover']) {
      clock.advance(1000);
      const res = await api('PATCH', `/api/v1/platform/incidents/${id}`, { phase });
      assert.equal(res.statusCode, 204, res.body);
    }
    assert.equal((await api('PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'mitigate' })).statusCode, 400);
    clock.advance(1000);
    const resolved = await api('PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'post_incident', resolved: true });
    assert.equal(resolved.statusCode, 204, resolved.body);
    const detail = (await api('GET', `/api/v1/platform/incidents/${id}`)).json<{ incident: { phase: string; resolved_at: string }; timeline: { kind: string; body: string }[]; clocks: ClockView[] }>();
    assert.equal(detail.incident.phase, 'post_incident');
    assert.equal(detail.clocks.find((c) => c.clock === 'first_notice')?.met_by, 'resolved');
    const report = detail.clocks.find((c) => c.clock === 'post_incident_report');
    assert.equal(report?.due_at, new Date(new Date(detail.incident.resolved_at).getTime() + 14 * 24 * HOUR).toISOString());
    assert.deepEqual(detail.timeline.map((e) => e.body), ['phase detect → analyse', 'phase analyse → contain', 'phase contain → eradicate', 'phase eradicate → recover', 'phase recover → post_incident; resolved']);
    const late = await api('POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'More.' });
    assert.equal(late.statusCode, 409);
    assert.equal(late.json<{ code: string }>().code, 'incident_resolved');
    assert.equal((await platformEvents(t, 'incident.changed')).filter((e) => e.targets.some((target) => target.id === id)).length, 5);
  });

  it('refuses an unknown affected component and an unknown incident with problem+json', async () => {
    const bad = await api('POST', '/api/v1/platform/incidents', { title: 'x', severity: 'low', affected_components: ['00000000-0000-7000-8000-000000000001'] });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json<{ code: string }>().code, 'unknown_component');
    const missing = await api('GET', '/api/v1/platform/incidents/00000000-0000-7000-8000-000000000001');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.headers['content-type'] ?? '', /application\/problem\+json/);
  });
});
