// IR-1, IR-5 defences for alerts and audit events linked to incidents: an item is linked only
// after it is found in the organization named with it (an id of organization A claimed for B is
// 404 and nothing is stored), an organization's administrators never see incidents or their links
// (so organization A's audit events never reach B's administrators, not even through a notice),
// and an incident opened from an alert links it and lists its organization as affected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, signUp } from '../../../test/support/access.ts';

interface Link { kind: string; organization_id: string; ref_id: string; label: string }

describe('alerts and audit events linked to incidents (IR-1, IR-5)', () => {
  let t: TestApp;
  let admin: string;
  let orgA: Awaited<ReturnType<typeof createOrg>>;
  let orgB: Awaited<ReturnType<typeof createOrg>>;
  let alertA: string;
  let eventA: string;

  const as = (cookie: string | undefined, method: 'GET' | 'POST', url: string, payload?: object) => t.inject({ method, url, headers: cookie === undefined ? {} : { cookie }, ...(payload === undefined ? {} : { payload }) });

  before(async () => {
    t = await createTestApp();
    await t.createUser('links-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('links-admin@example.com', TEST_PASSWORD);
    orgA = await createOrg(t, 'links-a');
    orgB = await createOrg(t, 'links-b');
    // A real alert in A: authorization denials over a threshold of one.
    const rule = await t.inject({ method: 'PUT', url: '/api/v1/platform/alert-rules/authorization_denial_spike', headers: { cookie: admin }, payload: { threshold: 1, severity: 'high' } });
    assert.equal(rule.statusCode, 200, rule.body);
    const outsider = await signUp(t, 'links-outsider');
    await addMember(t, orgA.orgId, outsider.userId);
    assert.equal((await as(outsider.cookie, 'GET', `/api/v1/organizations/${orgA.orgId}/security-alerts`)).statusCode, 403);
    const alerts = await as(orgA.admin.cookie, 'GET', `/api/v1/organizations/${orgA.orgId}/security-alerts`);
    alertA = alerts.json<{ items: { id: string; kind: string }[] }>().items.find((x) => x.kind === 'authorization_denial_spike')?.id ?? '';
    assert.ok(alertA !== '', alerts.body);
    await t.app.services.audit.sequencer.drain();
    const events = await as(orgA.admin.cookie, 'GET', `/api/v1/organizations/${orgA.orgId}/audit/events?limit=50`);
    eventA = events.json<{ items: { id: string; action: string }[] }>().items.find((e) => e.action === 'authz.denied')?.id ?? '';
    assert.ok(eventA !== '', events.body);
  });
  after(async () => {
    await t.close();
  });

  it("IR-5: an incident opened from an alert lists the alert's organization as affected and links the alert on its timeline", async () => {
    const opened = await as(admin, 'POST', '/api/v1/platform/incidents/from-alert', { organization_id: orgA.orgId, alert_id: alertA });
    assert.equal(opened.statusCode, 201, opened.body);
    const id = opened.json<{ id: string }>().id;
    const incident = await as(admin, 'GET', `/api/v1/platform/incidents/${id}`);
    assert.equal(incident.statusCode, 200, incident.body);
    const body = incident.json<{ incident?: { severity: string; affected_organizations: string[] }; severity?: string; affected_organizations?: string[]; timeline: { body: string }[] }>();
    const view = body.incident ?? { severity: body.severity ?? '', affected_organizations: body.affected_organizations ?? [] };
    assert.equal(view.severity, 'high', "the alert's severity, a configured level");
    assert.deepEqual(view.affected_organizations, [orgA.orgId]);
    assert.ok(body.timeline.some((e) => e.body.includes('alert authorization_denial_spike (high)')), JSON.stringify(body.timeline));
    const links = (await as(admin, 'GET', `/api/v1/platform/incidents/${id}/links`)).json<{ items: Link[] }>().items;
    assert.deepEqual(links.map((l) => [l.kind, l.organization_id, l.ref_id]), [['alert', orgA.orgId, alertA]]);
  });

  it("IR-1: an audit event of organization A links under A; claimed for organization B it is 404 and nothing is stored (nor for an alert)", async () => {
    const created = await as(admin, 'POST', '/api/v1/platform/incidents', { title: 'Linked events', severity: 'medium', affected_organizations: [orgA.orgId, orgB.orgId] });
    const id = created.json<{ id: string }>().id;
    const forged = await as(admin, 'POST', `/api/v1/platform/incidents/${id}/links`, { kind: 'audit_event', organization_id: orgB.orgId, id: eventA });
    assert.equal(forged.statusCode, 404, forged.body);
    assert.doesNotMatch(forged.body, new RegExp(eventA));
    const forgedAlert = await as(admin, 'POST', `/api/v1/platform/incidents/${id}/links`, { kind: 'alert', organization_id: orgB.orgId, id: alertA });
    assert.equal(forgedAlert.statusCode, 404, forgedAlert.body);
    const fromForged = await as(admin, 'POST', '/api/v1/platform/incidents/from-alert', { organization_id: orgB.orgId, alert_id: alertA });
    assert.equal(fromForged.statusCode, 404, fromForged.body);
    assert.deepEqual((await as(admin, 'GET', `/api/v1/platform/incidents/${id}/links`)).json<{ items: Link[] }>().items, [], 'nothing stored');
    const real = await as(admin, 'POST', `/api/v1/platform/incidents/${id}/links`, { kind: 'audit_event', organization_id: orgA.orgId, id: eventA });
    assert.equal(real.statusCode, 201, real.body);
    assert.equal(real.json<Link>().label, 'audit event authz.denied (denied)');
    const again = await as(admin, 'POST', `/api/v1/platform/incidents/${id}/links`, { kind: 'audit_event', organization_id: orgA.orgId, id: eventA });
    assert.equal(again.statusCode, 201, 'linking twice is idempotent');
    assert.equal((await as(admin, 'GET', `/api/v1/platform/incidents/${id}/links`)).json<{ items: Link[] }>().items.length, 1);
  });

  it("IR-1: organization B's administrators see neither the incident nor its links, and B's notices never carry A's linked event", async () => {
    const created = await as(admin, 'POST', '/api/v1/platform/incidents', { title: 'Shared incident', severity: 'medium', affected_organizations: [orgA.orgId, orgB.orgId] });
    const id = created.json<{ id: string }>().id;
    assert.equal((await as(admin, 'POST', `/api/v1/platform/incidents/${id}/links`, { kind: 'audit_event', organization_id: orgA.orgId, id: eventA })).statusCode, 201);
    for (const [method, url, payload] of [
      ['GET', `/api/v1/platform/incidents/${id}`],
      ['GET', `/api/v1/platform/incidents/${id}/links`],
      ['POST', `/api/v1/platform/incidents/${id}/links`, { kind: 'audit_event', organization_id: orgA.orgId, id: eventA }],
      ['POST', '/api/v1/platform/incidents/from-alert', { organization_id: orgA.orgId, alert_id: alertA }],
    ] as const) {
      const res = await as(orgB.admin.cookie, method, url, payload);
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.doesNotMatch(res.body, new RegExp(`${eventA}|authz\\.denied`));
      assert.equal((await as(undefined, method, url, payload)).statusCode, 401);
    }
    const notice = await as(admin, 'POST', `/api/v1/platform/incidents/${id}/notices`, { template: 'initial' });
    assert.equal(notice.statusCode < 300, true, notice.body);
    const notices = await as(orgB.admin.cookie, 'GET', `/api/v1/organizations/${orgB.orgId}/incident-notices`);
    assert.equal(notices.statusCode, 200, notices.body);
    assert.ok(notices.body.includes(id), 'B was told of the incident');
    assert.doesNotMatch(notices.body, new RegExp(`${eventA}|${orgA.orgId}|authz\\.denied`), "nothing of A's reaches B");
  });
});
