import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { secretFieldContext } from './destination-store.ts';
import { createAddressGuard } from './network-guard.ts';
import { createSender } from './sender.ts';
import { streamingTx } from './streaming-tables.ts';
import { createStreamingFixture, type StreamingFixture } from './streaming-test-fixture.ts';
import { createTestCertificates, type TestCertificates } from './tls-test-fixture.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from './webhook-test-fixture.ts';

interface Batch {
  type: string;
  data: { tenant_id: string; format: string; records: { type: string; seq?: number; size?: number; event?: Record<string, unknown>; note?: string }[] };
}

const headersOf = (r: ReceivedRequest) => ({ 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) });

describe('audit streaming to a Standard Webhooks endpoint over HTTPS (AUD-5)', () => {
  let f: StreamingFixture;
  let certs: TestCertificates;
  let receiver: WebhookReceiver;
  let destinationId: string;
  let secret: string;

  /** Verifies every request with the standardwebhooks reference library and returns the batches. */
  const verifiedBatches = () => receiver.requests.map((r) => new Webhook(secret).verify(r.body, headersOf(r)) as Batch);
  const deliveredSeqs = () => verifiedBatches().flatMap((b) => b.data.records.filter((r) => r.type === 'event').map((r) => r.seq ?? -1));

  before(async () => {
    f = await createStreamingFixture();
    certs = createTestCertificates();
    receiver = await startWebhookReceiver(certs);
  });
  after(async () => {
    await receiver.close();
    await f.t.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('AUD-5: delivers batches whose Standard Webhooks signatures the standardwebhooks library verifies, events in order and checkpoints in-stream', async () => {
    const created = await f.streaming.service.create(f.ctx, f.orgId, { kind: 'webhook', name: 'siem', format: 'json', url: receiver.url, caPem: certs.caPem, enabled: true, start: 'beginning' });
    destinationId = created.destination.id;
    secret = created.secret ?? '';
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    await f.addEvents(9);
    await f.streaming.worker.drain();

    const canonical = await f.canonicalEvents();
    assert.ok(receiver.requests.length > 0);
    for (const r of receiver.requests) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(String(r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
      // The verifier is not vacuous: one changed byte fails it.
      assert.throws(() => new Webhook(secret).verify(`${r.body} `, headersOf(r)));
    }
    const batches = verifiedBatches();
    assert.ok(batches.every((b) => b.type === 'audit.events' && b.data.tenant_id === f.orgId && b.data.format === 'json'));
    assert.deepEqual(deliveredSeqs(), canonical.map((_, seq) => seq));
    const records = batches.flatMap((b) => b.data.records);
    for (const r of records.filter((x) => x.type === 'event')) assert.equal(JSON.stringify(r.event), canonical[r.seq ?? -1]);
    const checkpoint = records.findLast((r) => r.type === 'checkpoint');
    assert.equal(checkpoint?.size, canonical.length);
    assert.equal(records.at(-1), checkpoint, 'the checkpoint comes after the events it covers');
  });

  it('AUD-5: a 500 answer leaves the cursor in place and retries with growing backoff under the same webhook-id; after recovery everything is delivered', async () => {
    const start = await f.cursor(destinationId);
    receiver.respond = (response) => response.writeHead(500).end('boom');
    receiver.requests.length = 0;
    await f.addEvents(4);

    assert.deepEqual(await f.streaming.worker.runOnce(), { delivered: 0, failed: 1 });
    const first = await f.cursor(destinationId);
    assert.deepEqual([first.next_seq, first.attempts, first.last_error], [start.next_seq, 1, 'rejected: HTTP 500']);
    const wait1 = first.next_attempt_at.getTime() - f.clock.now().getTime();
    assert.ok(wait1 >= 500 && wait1 <= 1000, `first retry after ${wait1} ms`);
    assert.deepEqual(await f.streaming.worker.runOnce(), { delivered: 0, failed: 0 }, 'retried before the backoff elapsed');

    f.clock.advance(wait1);
    assert.deepEqual(await f.streaming.worker.runOnce(), { delivered: 0, failed: 1 });
    const second = await f.cursor(destinationId);
    assert.deepEqual([second.next_seq, second.attempts], [start.next_seq, 2]);
    const wait2 = second.next_attempt_at.getTime() - f.clock.now().getTime();
    assert.ok(wait2 >= 1000 && wait2 <= 2000, `second retry after ${wait2} ms`);
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1], 'a retried batch keeps its webhook-id so receivers can deduplicate');

    receiver.respond = (response) => response.writeHead(200).end();
    f.clock.advance(wait2);
    await f.streaming.worker.drain();
    const canonical = await f.canonicalEvents();
    const after_ = await f.cursor(destinationId);
    assert.deepEqual([after_.next_seq, after_.attempts, after_.last_error], [canonical.length, 0, null]);
    const seqs = deliveredSeqs();
    assert.deepEqual([...new Set(seqs)], canonical.map((_, seq) => seq).slice(start.next_seq), 'everything since the cursor, in order');
  });

  it('AUD-5: a redirect is not followed and counts as a failure', async () => {
    const elsewhere = await startWebhookReceiver(certs, '/elsewhere');
    try {
      receiver.respond = (response) => response.writeHead(307, { location: elsewhere.url }).end();
      const result = await f.streaming.service.test(f.orgId, destinationId);
      assert.deepEqual(result, { delivered: false, error: 'rejected: HTTP 307: redirects are not followed' });
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      receiver.respond = (response) => response.writeHead(204).end();
      await elsewhere.close();
    }
  });

  it('AUD-5: a receiver that does not answer within the timeout is a failure, not a hang', async () => {
    receiver.respond = () => undefined;
    try {
      const send = createSender({ clock: f.clock, guard: createAddressGuard(['127.0.0.0/8']), hostname: 'parapet.test', timeoutMs: 300 });
      const started = Date.now();
      await assert.rejects(
        send({ kind: 'webhook', host: null, port: null, url: receiver.url, caPem: certs.caPem, secret }, { tenantId: f.orgId, destinationId, format: 'json', id: 'msg_timeout', records: [{ type: 'test', sent_at: f.clock.now().toISOString() }] }),
        (error: Error & { code?: string }) => error.code === 'timeout',
      );
      assert.ok(Date.now() - started < 3000);
    } finally {
      receiver.respond = (response) => response.writeHead(204).end();
    }
  });

  it('AUD-5: OCSF destinations receive the OCSF mapping with the canonical event and leaf hash alongside', async () => {
    const ocsf = await f.streaming.service.create(f.ctx, f.orgId, { kind: 'webhook', name: 'ocsf', format: 'ocsf', url: receiver.url, caPem: certs.caPem, enabled: true, start: 'beginning' });
    receiver.requests.length = 0;
    await f.streaming.worker.drain();
    const batches = receiver.requests.map((r) => new Webhook(ocsf.secret ?? '').verify(r.body, headersOf(r)) as Batch).filter((b) => b.data.format === 'ocsf');
    const events = batches.flatMap((b) => b.data.records).filter((r) => r.type === 'event');
    const canonical = await f.canonicalEvents();
    assert.equal(events.length, canonical.length);
    const first = events[0]?.event as { class_uid: number; metadata: { sequence: number }; unmapped: { parapet: { canonical: string } } };
    assert.equal(typeof first.class_uid, 'number');
    assert.equal(first.metadata.sequence, 0);
    assert.equal(first.unmapped.parapet.canonical, canonical[0]);
  });

  it('AUD-5: the signing secret never appears in any log line, and is stored only sealed', async () => {
    assert.ok(f.t.logs.length > 0, 'nothing was logged: the check below would be vacuous');
    assert.ok(f.t.logs.some((line) => line.includes('audit stream')), 'the delivery logs are not captured');
    const key = secret.slice('whsec_'.length);
    for (const line of f.t.logs) assert.ok(!line.includes(key), `secret in log line: ${line.slice(0, 200)}`);
    const row = await f.t.transactor.withTenant(f.orgId, (tx) => streamingTx(tx).selectFrom('audit_destinations').select('secret_sealed').where('id', '=', destinationId).executeTakeFirstOrThrow());
    assert.ok(row.secret_sealed?.startsWith('pk1.') === true && !row.secret_sealed.includes(key));
    assert.equal(await f.t.app.services.keys.fields.decryptField(secretFieldContext(f.orgId, destinationId), row.secret_sealed), secret);
    const stored = await f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('audit_events').select('canonical').where('tenant_id', '=', f.orgId).execute());
    for (const row of stored) assert.ok(!Buffer.from(row.canonical).toString('utf8').includes(key), 'secret in the audit log');
  });
});
