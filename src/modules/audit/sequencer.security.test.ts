import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestApp } from '../../../test/support/app.ts';
import { parseVerifierKey } from './log/index.ts';
import { createSequencer, verifyDatabaseLog } from './index.ts';

describe('sequencer under concurrency (AUD-2)', () => {
  it('AUD-2: two sequencers racing while writers insert assign every seq exactly once, with no gap', async () => {
    const t = await createTestApp();
    try {
      const tenantId = crypto.randomUUID();
      const { signer, recorder } = t.app.services.audit;
      const make = () => createSequencer({ transactor: t.transactor, clock: { now: () => new Date() }, signer, logger: t.app.http.log as never, options: { batchSize: 13, checkpointEvery: 25 } });
      const [one, two] = [make(), make()];
      let writing = true;
      const writers = (async () => {
        for (let i = 0; i < 30; i++) {
          await t.transactor.withTenant(tenantId, async (tx) => {
            for (let j = 0; j < 10; j++) await recorder.record(tx, tenantId, { action: 'api.request', actor: { type: 'system', id: null, display_name: null }, outcome: 'success', metadata: { i, j } });
          });
        }
        writing = false;
      })();
      const race = async (sequencer: typeof one) => {
        while (writing) await sequencer.runOnce();
        await sequencer.drain();
      };
      await Promise.all([writers, race(one), race(two)]);
      await one.drain();
      const seqs = await t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_events').select('seq').where('tenant_id', '=', tenantId).orderBy('seq').execute());
      assert.deepEqual(seqs.map((r) => Number(r.seq)), Array.from({ length: 300 }, (_, i) => i));
      const report = await verifyDatabaseLog({ transactor: t.transactor }, tenantId, { verifier: parseVerifierKey(signer.verifierKey), origin: signer.origin(tenantId), threads: 0 });
      assert.ok(report.ok, JSON.stringify(report.damage.slice(0, 3)));
      assert.ok(report.checkpointsVerified > 0);
    } finally {
      await t.close();
    }
  });
});
