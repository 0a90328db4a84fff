// The incidents module's defences: platform administrators only (an organization's admin sees no
// incident), internal timeline entries never on the public /status page, every incident text
// escaped there, injected SQL stored as text, parallel updates leave one open clock, and an
// overdue clock escalates exactly once across two nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { platformEvents } from '../../../test/support/passkeys.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { createIncidents } from './incidents-service.ts';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

describe('incidents security (IR-1…IR-4)', () => {
  const clock = manualClock(new Date('2026-12-07T09:00:00Z'));
  let t: TestApp;
  let admin: string;
  let orgAdmin: string;
  let orgId: string;

  const as = (cookie: string | undefined, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object) =>
    t.inject({ method, url, headers: cookie === undefined ? {} : { cookie }, ...(payload === undefined ? {} : { payload }) });
  const open = async (body: object) => {
    const res = await as(admin, 'POST', '/api/v1/platform/incidents', body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };

  before(async () => {
    t = await createTestApp({ clock });
    await t.createUser('irs-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login('irs-admin@example.com', TEST_PASSWORD);
    await t.createUser('irs-org-admin@example.com', TEST_PASSWORD);
    orgAdmin = await t.login('irs-org-admin@example.com', TEST_PASSWORD);
    const org = await as(orgAdmin, 'POST', '/api/v1/organizations', { name: 'Customer' });
    assert.equal(org.statusCode, 201, org.body);
    orgId = org.json<{ id: string }>().id;
  });
  after(async () => {
    await t.close();
  });

  it('IR-1: an organization administrator, even of an affected organization, can neither read nor change incidents; anonymous callers are refused', async () => {
    const id = await open({ title: 'Affects the customer', severity: 'high', affected_organizations: [orgId] });
    const calls: [string, 'GET' | 'POST' | 'PATCH' | 'PUT', string, object?][] = [
      ['list', 'GET', '/api/v1/platform/incidents'],
      ['read', 'GET', `/api/v1/platform/incidents/${id}`],
      ['open', 'POST', '/api/v1/platform/incidents', { title: 'x', severity: 'low' }],
      ['change', 'PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'contain' }],
      ['note', 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'forged' }],
      ['breach', 'POST', `/api/v1/platform/incidents/${id}/breach`, {}],
      ['components', 'POST', '/api/v1/platform/status/components', { name: 'Forged', status: 'major_outage' }],
    ];
    for (const [name, method, url, payload] of calls) {
      const res = await as(orgAdmin, method, url, payload);
      assert.equal(res.statusCode, 403, `${name}: ${res.body}`);
      assert.equal(res.json<{ code: string }>().code, 'forbidden');
      assert.doesNotMatch(res.body, /Affects the customer/);
      assert.equal((await as(undefined, method, url, payload)).statusCode, 401, name);
    }
    const detail = await as(admin, 'GET', `/api/v1/platform/incidents/${id}`);
    assert.equal(detail.json<{ incident: { phase: string; personal_data_breach: boolean }; timeline: unknown[] }>().incident.phase, 'detect');
    assert.deepEqual(detail.json<{ timeline: unknown[] }>().timeline, [], 'nothing the refused calls sent was recorded');
  });

  it('IR-4: /status shows components and public updates, never internal notes or change entries, and works without script', async () => {
    const component = await as(admin, 'POST', '/api/v1/platform/status/components', { name: 'Sign-in API', status: 'degraded' });
    assert.equal(component.statusCode, 201, component.body);
    const id = await open({ title: 'Slow sign-in', severity: 'critical', affected_components: [component.json<{ id: string }>().id] });
    await as(admin, 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'note', body: 'INTERNAL-CANARY attacker IP 203.0.113.9' });
    await as(admin, 'PATCH', `/api/v1/platform/incidents/${id}`, { phase: 'contain' });
    await as(admin, 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: 'We have contained the issue.' });
    const page = await t.inject({ method: 'GET', url: '/status' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    assert.match(page.body, /Sign-in API<\/strong> <span class="status">Degraded performance/);
    assert.match(page.body, /Slow sign-in/);
    assert.match(page.body, /We have contained the issue\./);
    assert.doesNotMatch(page.body, /INTERNAL-CANARY|203\.0\.113\.9/, 'internal notes stay off the public page');
    assert.doesNotMatch(page.body, /detect → contain/, 'change entries stay off the public page');
    assert.doesNotMatch(page.body, /<script/i);
  });

  it('IR-4: incident titles, public updates and component names are escaped on /status (XSS canary)', async () => {
    const component = await as(admin, 'POST', '/api/v1/platform/status/components', { name: `Comp ${XSS}`, description: `"><svg onload=alert(2)>`, status: 'major_outage' });
    assert.equal(component.statusCode, 201, component.body);
    const id = await open({ title: `Title ${XSS}`, severity: 'high', affected_components: [component.json<{ id: string }>().id] });
    await as(admin, 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: `Update ${XSS}` });
    const page = (await t.inject({ method: 'GET', url: '/status' })).body;
    assert.doesNotMatch(page, /<script>alert|<img src=x|<svg onload/);
    assert.match(page, /Title &#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/);
    assert.match(page, /Update &#60;script&#62;/);
    assert.match(page, /Comp &#60;script&#62;/);
  });

  it('stores injected SQL in incident text as text', async () => {
    const title = "x'); drop table incidents; --";
    const id = await open({ title, severity: 'low' });
    const detail = await as(admin, 'GET', `/api/v1/platform/incidents/${id}`);
    assert.equal(detail.json<{ incident: { title: string } }>().incident.title, title);
    assert.equal((await as(admin, 'GET', '/api/v1/platform/incidents')).statusCode, 200);
  });

  it('IR-2: parallel public updates leave exactly one open update clock', async () => {
    const id = await open({ title: 'Parallel', severity: 'critical' });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => as(admin, 'POST', `/api/v1/platform/incidents/${id}/entries`, { kind: 'public_update', body: `Update ${i}` })));
    assert.deepEqual(results.map((r) => r.statusCode), [201, 201, 201, 201]);
    const clocks = (await as(admin, 'GET', `/api/v1/platform/incidents/${id}`)).json<{ clocks: { clock: string; state: string }[] }>().clocks;
    assert.equal(clocks.filter((c) => c.state !== 'met').length, 1, JSON.stringify(clocks));
    assert.equal(clocks.length, 5);
  });

  it('IR-2, IR-3: an overdue clock raises one security alert for the configured organization, once, across two nodes', async () => {
    const id = await open({ title: 'Overdue', severity: 'critical' });
    const node = () => createIncidents({ transactor: t.transactor, clock, random: systemRandom, audit: t.app.services.audit.recorder, alerts: t.app.services.alerts, alertOrganization: orgId, logger: createLogger('silent') });
    const [a, b] = [node(), node()];
    assert.equal(await a.escalateOverdue(), 0, 'nothing is overdue yet');
    clock.advance(3_600_000 + 1);
    const counts = await Promise.all([a.escalateOverdue(), b.escalateOverdue()]);
    assert.ok(counts.reduce((x, y) => x + y, 0) >= 1);
    assert.equal(await a.escalateOverdue(), 0, 'escalates once');
    const alerts = await t.transactor.withTenant(orgId, (tx) => tx.selectFrom('security_alerts').select(['kind', 'subject_id']).where('tenant_id', '=', orgId).where('subject_id', '=', id).execute());
    assert.deepEqual(alerts, [{ kind: 'incident_clock_overdue', subject_id: id }]);
    assert.equal((await platformEvents(t, 'incident.clock_overdue')).filter((e) => e.targets.some((target) => target.id === id)).length, 1);
    const detail = await a.get(id);
    assert.equal(detail.clocks[0]?.state, 'overdue');
    assert.ok((detail.clocks[0]?.seconds_left ?? 0) < 0);
  });
});
