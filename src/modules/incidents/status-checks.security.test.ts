// Operator-defined status checks (IR-4), as an attacker would use them: to make Parapet fetch an
// internal service (loopback, cloud metadata, a name resolving to a private address), over plain
// http, or after the address moved (a stored check now pointing inside); and as a user who is not
// a platform administrator. The guard is the audit streams' (one guard for every outbound call).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { createTestCertificates, type TestCertificates } from '../audit-streaming/tls-test-fixture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../audit-streaming/webhook-test-fixture.ts';

describe('status checks security (IR-4)', () => {
  let t: TestApp;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  let admin: string;
  let plain: string;
  let componentId: string;

  const as = (cookie: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => t.inject({ method, url, headers: { cookie }, ...(payload === undefined ? {} : { payload }) });

  before(async () => {
    certs = createTestCertificates('Status Checks Security');
    receiver = await startWebhookReceiver(certs, '/internal');
    // No PARAPET_STATUS_CHECK_ALLOWED_NETWORKS: loopback is internal here. The CA is trusted, so only the guard stands in the way.
    t = await createTestApp({ env: { PARAPET_STATUS_CHECK_CA_FILE: certs.caFile } });
    const email = `sec-checks-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD, { platformAdmin: true });
    admin = await t.login(email, TEST_PASSWORD);
    const plainEmail = `sec-plain-${crypto.randomUUID()}@example.com`;
    await t.createUser(plainEmail, TEST_PASSWORD);
    plain = await t.login(plainEmail, TEST_PASSWORD);
    const created = await as(admin, 'POST', '/api/v1/platform/status/components', { name: `Guarded ${crypto.randomUUID().slice(0, 8)}`, status: 'operational' });
    componentId = created.json<{ id: string }>().id;
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  it('IR-4: a check on loopback, on the cloud metadata address, on a name resolving to loopback, or over http is refused, without echoing the URL', async () => {
    for (const url of [receiver.url, 'https://169.254.169.254/latest/meta-data/', 'https://[::1]/x', 'https://localhost/x']) {
      const res = await as(admin, 'POST', '/api/v1/platform/status/checks', { component_id: componentId, kind: 'http', name: 'internal', url });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal(res.json<{ code: string }>().code, 'check_address_not_allowed', url);
      assert.ok(!res.body.includes(new URL(url).hostname.replace(/^\[|\]$/g, '')), 'the address is not echoed');
    }
    const http = await as(admin, 'POST', '/api/v1/platform/status/checks', { component_id: componentId, kind: 'http', name: 'plain', url: 'http://status.example.com/' });
    assert.equal(http.json<{ code: string }>().code, 'invalid_request');
    assert.equal(receiver.requests.length, 0);
  });

  it('IR-4: a stored check whose address is now internal (moved after it was saved) is refused at connection: nothing reaches the internal server', async () => {
    const id = crypto.randomUUID();
    const now = new Date();
    await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) =>
      tx.insertInto('status_checks').values({
        id, component_id: componentId, kind: 'http', name: 'moved', url: receiver.url, interval_seconds: 60, failures_before_outage: 1, enabled: true, next_check_at: now,
        last_checked_at: null, last_ok: null, last_error: null, last_latency_ms: null, consecutive_failures: 0, created_at: now,
      }).execute(),
    );
    while ((await t.app.modules.incidents.checks.runDue()) > 0);
    const row = await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('status_checks').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    assert.deepEqual([row.last_ok, row.last_error], [false, 'address_not_allowed']);
    assert.equal(receiver.requests.length, 0, 'the internal server was never asked');
  });

  it('IR-4: a user who is not a platform administrator can neither list, add nor remove checks', async () => {
    assert.equal((await as(plain, 'GET', '/api/v1/platform/status/checks')).statusCode, 403);
    assert.equal((await as(plain, 'POST', '/api/v1/platform/status/checks', { component_id: componentId, kind: 'database', name: 'db' })).statusCode, 403);
    assert.equal((await as(plain, 'DELETE', `/api/v1/platform/status/checks/${crypto.randomUUID()}`)).statusCode, 403);
  });
});
