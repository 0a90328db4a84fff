import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';

describe('audit metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  const inboxDepth = async () => {
    const response = await t.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    assert.equal(response.statusCode, 200);
    const line = response.body.split('\n').find((l) => l.startsWith('parapet_audit_inbox_events '));
    assert.ok(line !== undefined, 'parapet_audit_inbox_events missing from /metrics');
    return Number(line.split(' ')[1]);
  };

  it('/metrics reports api.request events waiting in the buffer and those dropped because it was full', async () => {
    const body = (await t.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).body;
    assert.match(body, /^parapet_audit_api_calls_queued \d+$/m);
    assert.match(body, /^parapet_audit_api_calls_dropped_total 0$/m);
  });

  it('/metrics reports how many audit events wait for the sequencer, across tenants', async () => {
    const { recorder, sequencer } = t.app.services.audit;
    await sequencer.drain();
    assert.equal(await inboxDepth(), 0);
    for (const tenantId of [crypto.randomUUID(), crypto.randomUUID()]) {
      await t.transactor.withTenant(tenantId, (tx) => recorder.recordMany(tx, tenantId, Array.from({ length: 3 }, () => ({ action: 'api.request' as const, actor: { type: 'system' as const, id: null, display_name: null }, outcome: 'success' as const }))));
    }
    assert.equal(await inboxDepth(), 6);
    await sequencer.drain();
    assert.equal(await inboxDepth(), 0);
  });
});
