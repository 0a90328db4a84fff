import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createSequencer } from './index.ts';

describe('sequencer', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('drain sequences every pending event of many tenants, several at a time, and counts them all', async () => {
    const { signer, recorder } = t.app.services.audit;
    const tenants = Array.from({ length: 12 }, () => crypto.randomUUID());
    for (const [n, tenantId] of tenants.entries()) {
      await t.transactor.withTenant(tenantId, (tx) => recorder.recordMany(tx, tenantId, Array.from({ length: 5 + n }, () => ({ action: 'api.request' as const, actor: { type: 'system' as const, id: null, display_name: null }, outcome: 'success' as const }))));
    }
    const expected = tenants.reduce((sum, _, n) => sum + 5 + n, 0);
    const sequencer = createSequencer({ transactor: t.transactor, clock: { now: () => new Date() }, signer, logger: t.app.http.log as never, options: { batchSize: 4, concurrency: 3 } });
    assert.equal(await sequencer.drain(), expected);
    for (const [n, tenantId] of tenants.entries()) {
      const head = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_tree_heads').select('size').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow());
      assert.equal(Number(head.size), 5 + n);
      const newest = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_checkpoints').select('size').where('tenant_id', '=', tenantId).orderBy('size', 'desc').limit(1).executeTakeFirstOrThrow());
      assert.equal(Number(newest.size), 5 + n, 'drain signs a checkpoint of every log it grew');
    }
  });
});
