import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { openTestDatabase, TEST_KEYRING, type TestDatabase } from '../../../test/support/databases.ts';
import type { AppTransactor } from '../../database.ts';
import { systemClock } from '../../platform/clock.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../../platform/db/index.ts';
import type { AuditEventInput } from './audit-event.ts';
import { createAuditRecorder } from './audit-recorder.ts';
import { createApiCallBuffer, recordingLosses } from './api-call-buffer.ts';

const call = (i: number): AuditEventInput => ({ action: 'api.request', actor: { type: 'system', id: null, display_name: null }, outcome: 'success', metadata: { i } });

describe('the api.request buffer (AUD-1)', () => {
  let database: TestDatabase;
  let transactor: AppTransactor;
  let transactions = 0;
  const recorder = createAuditRecorder({ clock: systemClock, random: systemRandom });
  const warnings: string[] = [];
  const logger = { error: () => undefined, warn: (_: unknown, message: string) => warnings.push(message) } as never;

  before(async () => {
    database = await openTestDatabase();
    const real = createTransactor(database.db.app, createContextSigner(TEST_KEYRING.derive('tenant-context-mac')));
    transactor = {
      ...real,
      withTenant: (tenantId, fn, actorId) => {
        transactions++;
        return real.withTenant(tenantId, fn, actorId);
      },
    };
  });
  after(async () => {
    await database.close();
  });

  const inbox = async (tenantId: string) => (await transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_inbox').select('event').execute())).map((row) => (row.event as { metadata: { i: number } }).metadata.i);

  it('AUD-1: writes each tenant\u2019s calls with one transaction per flush, never from add()', async () => {
    const buffer = createApiCallBuffer({ transactor, recorder, logger, flushMs: 60_000 });
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    transactions = 0;
    for (let i = 0; i < 30; i++) buffer.add(i % 3 === 0 ? b : a, call(i));
    assert.equal(transactions, 0, 'add() started a write');
    assert.equal(buffer.queued, 30);
    await buffer.flush();
    assert.equal(transactions, 2);
    assert.equal(buffer.queued, 0);
    assert.deepEqual((await inbox(a)).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0));
    assert.equal((await inbox(b)).length, 10);
    await buffer.close();
  });

  it('starts a write once a batch fills up, outside the call that filled it', async () => {
    const buffer = createApiCallBuffer({ transactor, recorder, logger, flushMs: 60_000, batchSize: 5 });
    const tenant = crypto.randomUUID();
    transactions = 0;
    for (let i = 0; i < 5; i++) buffer.add(tenant, call(i));
    assert.equal(transactions, 0);
    // No flush() and a one-minute timer: only the full batch can start this write.
    for (let waited = 0; buffer.queued > 0; waited += 10) {
      assert.ok(waited < 5000, 'the full batch was not written');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(transactions, 1);
    assert.equal((await inbox(tenant)).length, 5);
    await buffer.close();
  });

  it('AUD-1: past maxQueued waiting events, further calls are dropped, counted, exported and warned about once', async () => {
    const registry = new Registry();
    warnings.length = 0;
    const buffer = createApiCallBuffer({ transactor, recorder, logger, registry, flushMs: 60_000, maxQueued: 10 });
    const tenant = crypto.randomUUID();
    for (let i = 0; i < 15; i++) buffer.add(tenant, call(i));
    assert.equal(buffer.queued, 10);
    assert.equal(buffer.dropped, 5);
    assert.equal(warnings.length, 1);
    const metrics = await registry.metrics();
    assert.match(metrics, /^parapet_audit_api_calls_dropped_total 5$/m);
    assert.match(metrics, /^parapet_audit_api_calls_queued 10$/m);
    // Once written, the buffer accepts calls again; the drops stay counted.
    await buffer.flush();
    buffer.add(tenant, call(100));
    assert.equal(buffer.dropped, 5);
    await buffer.close();
    assert.deepEqual((await inbox(tenant)).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100]);
    assert.match(await registry.metrics(), /^parapet_audit_api_calls_queued 0$/m);
  });

  it('AUD-1: a durable record is committed before addDurable resolves, and records arriving meanwhile share one transaction', async () => {
    const buffer = createApiCallBuffer({ transactor, recorder, logger, flushMs: 60_000 });
    const tenant = crypto.randomUUID();
    transactions = 0;
    const first = buffer.addDurable(tenant, call(1));
    // These arrive while the first write is in flight: one more transaction for all of them.
    const rest = Array.from({ length: 9 }, (_, i) => buffer.addDurable(tenant, call(i + 2)));
    await first;
    assert.deepEqual(await inbox(tenant), [1]);
    await Promise.all(rest);
    assert.equal(transactions - 1, 2, 'the nine later records took more than one transaction');
    assert.equal((await inbox(tenant)).length, 10);
    await buffer.close();
  });

  it('AUD-1: a durable record that cannot be written rejects its caller and is not counted as a buffered loss', async () => {
    const failing: AppTransactor = { ...transactor, withTenant: () => Promise.reject(new Error('database down')) };
    const buffer = createApiCallBuffer({ transactor: failing, recorder, logger, flushMs: 60_000 });
    const before = await recordingLosses(transactor);
    await assert.rejects(buffer.addDurable(crypto.randomUUID(), call(1)), /database down/);
    await buffer.close();
    assert.deepEqual(await recordingLosses(transactor), before);
  });

  it('AUD-1: buffered records lost (buffer full, batch refused) are counted in the database, and the count survives a restart', async () => {
    const before = await recordingLosses(transactor);
    const full = createApiCallBuffer({ transactor, recorder, logger, flushMs: 60_000, maxQueued: 3 });
    for (let i = 0; i < 7; i++) full.add(crypto.randomUUID(), call(i));
    await full.close();
    // A batch the database refuses (here: every tenant write fails; the counter's own write works).
    const refused = createApiCallBuffer({ transactor: { ...transactor, withTenant: () => Promise.reject(new Error('refused')) }, recorder, logger, flushMs: 60_000 });
    for (let i = 0; i < 5; i++) refused.add(crypto.randomUUID(), call(i));
    await refused.flush();
    await refused.close();
    // A new buffer (a restarted node) reads the same durable totals.
    const after = await recordingLosses(transactor);
    assert.equal(after.buffer_full - before.buffer_full, 4);
    assert.equal(after.write_failed - before.write_failed, 5);
  });

  it('AUD-1: the loss counters only grow: the app role can neither lower nor delete them', async () => {
    await transactor.withPlatform((tx) => tx.insertInto('audit_recording_losses').values({ reason: 'buffer_full', events: 1, last_lost_at: new Date() }).onConflict((oc) => oc.column('reason').doNothing()).execute());
    await assert.rejects(transactor.withPlatform((tx) => tx.updateTable('audit_recording_losses').set({ events: 0 }).where('reason', '=', 'buffer_full').execute()), /only grow/);
    await assert.rejects(transactor.withPlatform((tx) => tx.deleteFrom('audit_recording_losses').execute()), /permission denied/);
  });
});
