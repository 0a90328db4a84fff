// IR-5 defences: signals raised at once on two nodes sharing one database are one alert with the
// exact count (the per-window upsert), not one alert per signal or per node; and alert rules and
// the routing record are the platform administrators' alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, signUp } from '../../../test/support/access.ts';

describe('security alert deduplication and rule administration (IR-5)', () => {
  let a: TestApp;
  let b: TestApp;
  let platformAdmin: string;

  before(async () => {
    a = await createTestApp();
    b = await createTestApp({ database: a.database });
    await a.createUser('dedup-admin@example.com', TEST_PASSWORD, { platformAdmin: true });
    platformAdmin = await a.login('dedup-admin@example.com', TEST_PASSWORD);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('IR-5: twenty authorization denials sent in parallel to two nodes raise one alert counting twenty, and one delivery record per target at most', async () => {
    const rule = await a.inject({ method: 'PUT', url: '/api/v1/platform/alert-rules/authorization_denial_spike', headers: { cookie: platformAdmin }, payload: { threshold: 1, window_seconds: 31_622_400 } });
    assert.equal(rule.statusCode, 200, rule.body);
    const org = await createOrg(a, 'dedup');
    const outsider = await signUp(a, 'dedup-outsider');
    await addMember(a, org.orgId, outsider.userId);
    const deny = (node: TestApp) => node.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/security-alerts`, headers: { cookie: outsider.cookie } });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => deny(i % 2 === 0 ? a : b)));
    assert.deepEqual([...new Set(answers.map((r) => r.statusCode))], [403]);
    const list = await a.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/security-alerts?limit=100`, headers: { cookie: org.admin.cookie } });
    assert.equal(list.statusCode, 200, list.body);
    const spikes = list.json<{ items: { kind: string; occurrences: number }[] }>().items.filter((x) => x.kind === 'authorization_denial_spike');
    assert.equal(spikes.length, 1, `one alert, not ${spikes.length}`);
    assert.equal(spikes[0]?.occurrences, 20);
    const raised = await a.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('security_alert_signals').select('count').where('tenant_id', '=', org.orgId).execute());
    assert.deepEqual(raised.map((r) => r.count), [20], 'one counter row, exact');
  });

  it("IR-5: an organization's administrator can neither read nor change the alert rules nor read the routing record; anonymous callers are refused", async () => {
    const org = await createOrg(a, 'rules-outsider');
    const calls: ['GET' | 'PUT' | 'DELETE', string, object?][] = [
      ['GET', '/api/v1/platform/alert-rules'],
      ['PUT', '/api/v1/platform/alert-rules/lockouts', { enabled: false }],
      ['DELETE', '/api/v1/platform/alert-rules/lockouts'],
      ['GET', `/api/v1/platform/security-alerts/organizations/${org.orgId}/${crypto.randomUUID()}/deliveries`],
    ];
    for (const [method, url, payload] of calls) {
      const res = await a.inject({ method, url, headers: { cookie: org.admin.cookie }, ...(payload === undefined ? {} : { payload }) });
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.equal(res.json<{ code: string }>().code, 'forbidden');
      const anonymous = await a.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
      assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
    }
    const rules = await a.inject({ method: 'GET', url: '/api/v1/platform/alert-rules', headers: { cookie: platformAdmin } });
    const lockouts = rules.json<{ items: { kind: string; enabled: boolean }[] }>().items.find((r) => r.kind === 'lockouts');
    assert.equal(lockouts?.enabled, true, 'the refused change did not happen');
  });
});
