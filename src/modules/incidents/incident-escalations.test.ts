// Configurable severities, the breach regimes' clocks, warnings and escalations (mail and Standard
// Webhooks, both recorded) on one node of two, and the clocks on /metrics (IR-2, IR-3), with an
// injected clock, the in-process SMTP server and an HTTPS receiver verified with `standardwebhooks`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { platformEvents } from '../../../test/support/passkeys.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { createAddressGuard, newWebhookSecret } from '../audit-streaming/index.ts';
import { createTestCertificates, type TestCertificates } from '../audit-streaming/tls-test-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../audit-streaming/webhook-test-fixture.ts';
import type { ClockView, EscalationView } from './incidents-service.ts';
import { createIncidents } from './incidents-service.ts';
import { parseSeverities } from './options.ts';

const HOUR = 3_600_000;
const SEVERITIES = 'sev1:1m/2m,sev2:4h/6h,sev3';

describe('incident clocks: severities, regimes, warnings and escalations (IR-2, IR-3)', () => {
  // Real time to the second: the standardwebhooks verifier refuses timestamps five minutes off its own clock.
  const clock = manualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const secret = newWebhookSecret(systemRandom);
  const escalationAddress = `oncall-${crypto.randomUUID()}@example.com`;
  let t: TestApp;
  let smtp: TestSmtp;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  let admin: string;

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.inject({ method, url, headers: { cookie: admin }, ...(payload === undefined ? {} : { payload }) });
  const open = async (severity: string) => {
    const res = await api('POST', '/api/v1/platform/incidents', { title: `A ${severity} incident`, severity });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };
  const detail = async (id: string) => {
    const res = await api('GET', `/api/v1/platform/incidents/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ clocks: ClockView[]; escalations: EscalationView[]; timeline: { body: string }[] }>();
  };

  before(async () => {
    smtp = await startTestSmtp();
    certs = createTestCertificates('Incident Escalations Test');
    receiver = await startWebhookReceiver(certs, '/hooks/incidents');
    t = await createTestApp({
      clock,
      env: {
        ...smtp.env,
        PARAPET_INCIDENT_SEVERITIES: SEVERITIES,
        PARAPET_INCIDENT_CUSTOMER_BREACH_HOURS: '24',
        PARAPET_INCIDENT_ESCALATION_EMAILS: escalationAddress,
        PARAPET_INCIDENT_ESCALATION_WEBHOOK_URL: receiver.url,
        PARAPET_INCIDENT_ESCALATION_WEBHOOK_SECRET: secret,
        PARAPET_INCIDENT_ESCALATION_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
        PARAPET_INCIDENT_ESCALATION_WEBHOOK_CA_FILE: certs.caFile,
      },
    });
    await t.createUser('esc-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('esc-admin@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await smtp.close();
    await receiver.close();
  });

  it('IR-2: the configured severity levels set the notice clocks; a level not configured is refused without echoing it', async () => {
    const levels = await api('GET', '/api/v1/platform/incidents/severities');
    assert.equal(levels.statusCode, 200, levels.body);
    assert.deepEqual(levels.json<{ items: unknown[] }>().items, [
      { name: 'sev1', first_notice_seconds: 60, update_every_seconds: 120 },
      { name: 'sev2', first_notice_seconds: 4 * 3600, update_every_seconds: 6 * 3600 },
      { name: 'sev3', first_notice_seconds: null, update_every_seconds: null },
    ]);
    const id = await open('sev2');
    const [first] = (await detail(id)).clocks;
    assert.equal(first?.due_at, new Date(clock.now().getTime() + 4 * HOUR).toISOString());
    assert.deepEqual((await detail(await open('sev3'))).clocks, []);
    const refused = await api('POST', '/api/v1/platform/incidents', { title: 'x', severity: 'critical' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.headers['content-type'] ?? '', /application\/problem\+json/);
    assert.equal(refused.json<{ code: string }>().code, 'unknown_severity');
    assert.doesNotMatch(refused.body, /critical/);
    assert.throws(() => parseSeverities('a:1h/2h,a'), /listed twice/);
    assert.throws(() => parseSeverities('Bad'), /expected/);
  });

  it('IR-3: a breach starts GDPR, NIS2, India DPDP 72 h, CERT-In 6 h and the configured 24 h customer window from awareness', async () => {
    const id = await open('sev2');
    const aware = new Date(clock.now().getTime() - HOUR);
    assert.equal((await api('POST', `/api/v1/platform/incidents/${id}/breach`, { aware_at: aware.toISOString() })).statusCode, 204);
    const due = Object.fromEntries((await detail(id)).clocks.map((c) => [c.clock, c]));
    const at = (hours: number) => new Date(aware.getTime() + hours * HOUR).toISOString();
    assert.equal(due['dpdp_report']?.due_at, at(72));
    assert.match(due['dpdp_report']?.source ?? '', /DPDP Rules 2025 r\. 7\(2\)\(b\)/);
    assert.equal(due['cert_in']?.due_at, at(6));
    assert.match(due['cert_in']?.source ?? '', /CERT-In/);
    assert.equal(due['customer_breach_notice']?.due_at, at(24));
    assert.equal(due['gdpr_art33']?.due_at, at(72));
    assert.equal(due['nis2_early_warning']?.due_at, at(24));
    assert.equal(Object.keys(due).length, 8);
  });

  it('IR-2: a clock warns once before it is due and escalates once when overdue, by mail and by a signed webhook, each recorded, whichever of two nodes runs', async () => {
    const id = await open('sev1'); // first notice due in 1 minute: warns 15 s before
    const node = () =>
      createIncidents({
        transactor: t.transactor, clock, random: systemRandom, audit: t.app.services.audit.recorder, alerts: t.app.services.alerts, alertOrganization: undefined, logger: createLogger('silent'),
        severities: parseSeverities(SEVERITIES), mail: t.app.services.mail,
        escalation: { emails: [escalationAddress], webhook: { url: receiver.url, secret, guard: createAddressGuard(['127.0.0.0/8']), caPem: certs.caPem } },
      });
    const [a, b] = [t.app.modules.incidents, node()];
    // Other tests' clocks are claimed here too; count only this incident's escalations.
    await a.escalateOverdue();
    await a.deliverEscalations();
    receiver.requests.length = 0;
    const mine = async () => (await detail(id)).escalations;
    assert.deepEqual(await mine(), [], 'nothing is due yet');

    clock.advance(45_000 + 1);
    await Promise.all([a.escalateOverdue(), b.escalateOverdue()]);
    await Promise.all([a.escalateOverdue(), b.escalateOverdue()]);
    let escalations = await mine();
    assert.deepEqual(escalations.map((e) => `${e.kind}/${e.channel}`).sort(), ['warning/mail', 'warning/webhook'], 'one warning per channel');
    await Promise.all([a.deliverEscalations(), b.deliverEscalations()]);
    await t.app.services.mail.idle();
    const warningMail = await smtp.waitFor((m) => m.to.includes(escalationAddress) && /^Due soon: first_notice/.test(m.subject));
    assert.match(warningMail.text, new RegExp(id));
    assert.equal(receiver.requests.length, 1, 'the webhook is sent once');
    const verify = (i: number) => {
      const r = receiver.requests[i];
      assert.ok(r !== undefined);
      return new Webhook(secret).verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as { type: string; data: { incident_id: string; clock: string; state: string } };
    };
    assert.deepEqual([verify(0).type, verify(0).data.incident_id, verify(0).data.clock], ['incident.clock_warning', id, 'first_notice']);

    clock.advance(15_000);
    await Promise.all([a.escalateOverdue(), b.escalateOverdue()]);
    await Promise.all([a.escalateOverdue(), b.escalateOverdue()]);
    await Promise.all([a.deliverEscalations(), b.deliverEscalations()]);
    await Promise.all([a.deliverEscalations(), b.deliverEscalations()]);
    await t.app.services.mail.idle();
    await smtp.waitFor((m) => m.to.includes(escalationAddress) && /^Overdue: first_notice/.test(m.subject));
    assert.equal(receiver.requests.length, 2);
    assert.equal(verify(1).type, 'incident.clock_overdue');
    assert.notEqual(receiver.requests[0]?.headers['webhook-id'], receiver.requests[1]?.headers['webhook-id']);

    escalations = await mine();
    assert.equal(escalations.length, 4);
    assert.ok(escalations.every((e) => e.delivered_at !== null && e.attempts === 1 && e.failed_at === null), JSON.stringify(escalations));
    assert.deepEqual(escalations.filter((e) => e.channel === 'mail').map((e) => e.mail_status), ['sent', 'sent'], 'the mailer recorded each mail as sent');
    assert.equal(smtp.messages.filter((m) => m.to.includes(escalationAddress) && m.text.includes(id)).length, 2, 'one mail per escalation');
    const mineEvents = (events: { targets: { id: string }[] }[]) => events.filter((e) => e.targets.some((x) => x.id === id)).length;
    assert.equal(mineEvents(await platformEvents(t, 'incident.clock_warning')), 1);
    assert.equal(mineEvents(await platformEvents(t, 'incident.clock_overdue')), 1);
  });

  it('IR-2: a webhook that fails is retried with backoff, and the failure is recorded', async () => {
    const id = await open('sev1');
    receiver.respond = (response) => response.writeHead(503).end();
    try {
      clock.advance(61_000);
      await t.app.modules.incidents.escalateOverdue();
      await t.app.modules.incidents.deliverEscalations();
      const hook = (await detail(id)).escalations.find((e) => e.channel === 'webhook' && e.kind === 'overdue');
      assert.equal(hook?.delivered_at, null);
      assert.equal(hook?.attempts, 1);
      assert.ok(hook?.last_error !== null && hook?.last_error !== undefined);
      assert.equal(await t.app.modules.incidents.deliverEscalations(), 0, 'not retried before its backoff');
    } finally {
      receiver.respond = (response) => response.writeHead(204).end();
    }
    clock.advance(31_000);
    await t.app.modules.incidents.deliverEscalations();
    const hook = (await detail(id)).escalations.find((e) => e.channel === 'webhook' && e.kind === 'overdue');
    assert.ok(hook?.delivered_at !== null);
    assert.equal(hook?.attempts, 2);
  });

  it('IR-2: each unmet clock is on /metrics with its time left, and the count per state', async () => {
    const id = await open('sev2');
    const res = await t.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.body, new RegExp(`parapet_incident_clock_seconds_left\\{incident_id="${id}",clock="first_notice",state="pending"\\} ${4 * 3600}\\n`));
    assert.match(res.body, /parapet_incident_clocks\{state="overdue"\} [1-9]/);
  });
});
