// Builds a tenant audit log with many events and frequent checkpoints, for proof and tamper tests.
import { createSequencer, type Sequencer } from '../../src/modules/audit/index.ts';
import { parseVerifierKey, type NoteVerifier } from '../../src/modules/audit/log/index.ts';
import type { TestApp } from './app.ts';

export interface TestLog {
  readonly tenantId: string;
  readonly verifier: NoteVerifier;
  readonly origin: string;
  readonly sequencer: Sequencer;
}

/** Records `events` events for a fresh tenant id and sequences them in uneven batches, signing a checkpoint every `checkpointEvery`. */
export async function buildTestLog(t: TestApp, events: number, options: { checkpointEvery?: number; batchSize?: number; tenantId?: string } = {}): Promise<TestLog> {
  const tenantId = options.tenantId ?? crypto.randomUUID();
  const { signer, recorder } = t.app.services.audit;
  const sequencer = createSequencer({
    transactor: t.transactor,
    clock: { now: () => new Date() },
    signer,
    logger: t.app.http.log as never,
    options: { batchSize: options.batchSize ?? 37, checkpointEvery: options.checkpointEvery ?? 50, checkpointIntervalMs: 3_600_000 },
  });
  for (let i = 0; i < events; i += 100) {
    await t.transactor.withTenant(tenantId, async (tx) => {
      for (let j = i; j < Math.min(events, i + 100); j++) {
        await recorder.record(tx, tenantId, {
          action: j % 3 === 0 ? 'project.created' : j % 3 === 1 ? 'session.created' : 'api.request',
          actor: { type: 'user', id: `user-${j % 7}`, display_name: `User ${j % 7}` },
          outcome: j % 5 === 0 ? 'failure' : 'success',
          targets: [{ type: 'project', id: `p-${j % 11}` }],
          source: { ip: `192.0.2.${j % 250}`, user_agent: 'test', request_id: `r-${j}` },
          metadata: { n: j, note: `event ${j} ünïcödé ✓` },
        });
      }
    });
    // Sequence as we go so checkpoints fall at many sizes.
    while ((await sequencer.sequenceTenant(tenantId)) > 0) await sequencer.checkpointTenant(tenantId);
  }
  await sequencer.checkpointTenant(tenantId, true);
  return { tenantId, verifier: parseVerifierKey(signer.verifierKey), origin: signer.origin(tenantId), sequencer };
}
