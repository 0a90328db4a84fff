// Issue 21, IR-4: built-in probes of Parapet's own parts (API, database, Redis when configured, mail,
// key provider) and an operator's HTTP check (a real HTTPS server) feed a component's status and its
// 90-day history; an operator's own status stands; of two nodes, one probes each due check.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { platformEvents } from '../../../test/support/passkeys.ts';
import { startTestSmtp, type TestSmtp } from '../../../test/support/smtp.ts';
import { manualClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { createAddressGuard } from '../audit-streaming/index.ts';
import { createTestCertificates, type TestCertificates } from '../audit-streaming/tls-test-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../audit-streaming/webhook-test-fixture.ts';
import { createStatusChecks } from './status-checks.ts';
import { httpCheck } from './status-probes.ts';

interface Check { id: string; kind: string; last_ok: boolean | null; last_error: string | null; consecutive_failures: number }

describe('status checks: built-in probes and HTTP checks (IR-4)', () => {
  const clock = manualClock(new Date());
  let t: TestApp;
  let smtp: TestSmtp;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  let admin: string;

  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => t.inject({ method, url, headers: { cookie: admin }, ...(payload === undefined ? {} : { payload }) });
  const component = async (name: string) => {
    const res = await api('POST', '/api/v1/platform/status/components', { name: `${name} ${crypto.randomUUID().slice(0, 8)}`, status: 'operational' });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };
  const addCheck = async (body: object) => {
    const res = await api('POST', '/api/v1/platform/status/checks', body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json<Check>().id;
  };
  const checks = async () => (await api('GET', '/api/v1/platform/status/checks')).json<{ items: Check[] }>().items;
  const statusOf = async (id: string) => (await api('GET', '/api/v1/platform/status/components')).json<{ items: { id: string; status: string }[] }>().items.find((c) => c.id === id)?.status;
  /** Runs leader passes until nothing is due (other tests' checks are due too). */
  const probeAll = async () => {
    while ((await t.app.modules.incidents.checks.runDue()) > 0);
  };

  before(async () => {
    smtp = await startTestSmtp();
    certs = createTestCertificates('Status Checks Test');
    receiver = await startWebhookReceiver(certs, '/health');
    t = await createTestApp({ clock, env: { ...smtp.env, PARAPET_STATUS_CHECK_ALLOWED_NETWORKS: '127.0.0.0/8', PARAPET_STATUS_CHECK_CA_FILE: certs.caFile } });
    const email = `checks-admin-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login(email, TEST_PASSWORD);
  });
  after(async () => {
    await t.close();
    await smtp.close();
    await receiver.close();
  });

  it('IR-4: the built-in probes reach the API, the database, the mail server and the key provider; Redis only where it is configured', async () => {
    const id = await component('Platform');
    const ids: string[] = [];
    for (const kind of ['api', 'database', 'mail', 'key_provider']) ids.push(await addCheck({ component_id: id, kind, name: kind }));
    const redis = await api('POST', '/api/v1/platform/status/checks', { component_id: id, kind: 'redis', name: 'redis' });
    if (t.config.redisUrl === undefined) assert.equal(redis.json<{ code: string }>().code, 'probe_not_available');
    else assert.equal(redis.statusCode, 201, redis.body);
    await probeAll();
    const mine = (await checks()).filter((c) => ids.includes(c.id));
    assert.deepEqual(mine.map((c) => [c.kind, c.last_ok, c.last_error]), [['api', true, null], ['database', true, null], ['mail', true, null], ['key_provider', true, null]]);
    assert.equal(await statusOf(id), 'operational');
    assert.equal((await api('POST', '/api/v1/platform/status/checks', { component_id: id, kind: 'database', name: 'x', url: receiver.url })).statusCode, 400, 'only HTTP checks have a URL');
  });

  it('IR-4: an HTTP check that fails twice in a row puts its component in a major outage, kept in the 90-day history on /status, and recovery is recorded; each change audited once', async () => {
    const id = await component('Website');
    await addCheck({ component_id: id, kind: 'http', name: 'Website', url: receiver.url, interval_seconds: 60, failures_before_outage: 2 });
    await probeAll();
    assert.equal(receiver.requests.at(-1)?.method, 'GET');
    assert.equal(await statusOf(id), 'operational');
    receiver.respond = (response) => response.writeHead(503).end();
    try {
      clock.advance(60_000);
      await probeAll();
      assert.equal(await statusOf(id), 'operational', 'one failure is noise');
      clock.advance(60_000);
      await probeAll();
      assert.equal(await statusOf(id), 'major_outage');
      const failing = (await checks()).find((c) => c.last_error === 'http_503');
      assert.ok(failing !== undefined);
      const view = await t.app.modules.incidents.publicView();
      assert.equal(view.components.find((c) => c.id === id)?.history.at(-1)?.status, 'major_outage');
      const page = await t.inject({ method: 'GET', url: '/status' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /[Mm]ajor outage/);
    } finally {
      receiver.respond = (response) => response.writeHead(204).end();
    }
    clock.advance(60_000);
    await probeAll();
    assert.equal(await statusOf(id), 'operational');
    const changes = (await platformEvents(t, 'status.component_probed')).filter((e) => e.targets.some((x) => x.id === id));
    assert.deepEqual(changes.map((e) => [e.metadata['from'], e.metadata['to']]), [['operational', 'major_outage'], ['major_outage', 'operational']]);
  });

  it('IR-4: an operator\'s own status (maintenance) stands over the probes until the operator sets it back', async () => {
    const name = `Mail relay ${crypto.randomUUID().slice(0, 8)}`;
    const created = await api('POST', '/api/v1/platform/status/components', { name, status: 'operational' });
    const id = created.json<{ id: string }>().id;
    await addCheck({ component_id: id, kind: 'http', name: 'relay', url: receiver.url, failures_before_outage: 1 });
    assert.equal((await api('PUT', `/api/v1/platform/status/components/${id}`, { name, status: 'maintenance' })).statusCode, 200);
    receiver.respond = (response) => response.writeHead(500).end();
    try {
      clock.advance(60_000);
      await probeAll();
      assert.equal(await statusOf(id), 'maintenance');
      assert.equal((await api('PUT', `/api/v1/platform/status/components/${id}`, { name, status: 'operational' })).statusCode, 200);
      clock.advance(60_000);
      await probeAll();
      assert.equal(await statusOf(id), 'major_outage');
    } finally {
      receiver.respond = (response) => response.writeHead(204).end();
    }
  });

  it('IR-4: of two nodes running the pass at once, one probes each due check', async () => {
    const id = await component('Two nodes');
    const check = await addCheck({ component_id: id, kind: 'http', name: 'two', url: `${receiver.url}?two-nodes` });
    await probeAll();
    const guard = createAddressGuard(['127.0.0.0/8']);
    const b = createStatusChecks({
      transactor: t.transactor, clock, random: systemRandom, audit: t.app.services.audit.recorder, logger: createLogger('silent'), guard,
      probes: { api: () => Promise.resolve(), database: () => Promise.resolve(), key_provider: () => Promise.resolve(), http: httpCheck({ guard, caPem: certs.caPem, timeoutMs: 10_000 }) },
    });
    const a = t.app.modules.incidents.checks;
    for (let round = 0; round < 3; round++) {
      clock.advance(60_000);
      const before = receiver.requests.filter((r) => r.path.endsWith('?two-nodes')).length;
      await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
      assert.equal(receiver.requests.filter((r) => r.path.endsWith('?two-nodes')).length - before, 1, `round ${round}: probed once`);
    }
    assert.equal((await checks()).find((c) => c.id === check)?.last_ok, true);
    assert.equal((await api('DELETE', `/api/v1/platform/status/checks/${check}`)).statusCode, 204);
  });
});
