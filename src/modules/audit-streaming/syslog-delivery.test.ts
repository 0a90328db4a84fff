import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createRsyslogReceiver, freePort, rsyslogSkipReason, type ReceivedMessage, type RsyslogReceiver } from './rsyslog-test-fixture.ts';
import { createStreamingFixture, type StreamingFixture } from './streaming-test-fixture.ts';
import { createTestCertificates, type TestCertificates } from './tls-test-fixture.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = rsyslogSkipReason();
if (skip !== false) process.stdout.write(`# skipped: ${skip}\n`);

async function waitFor<T>(what: string, read: () => T, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sdParam = (m: ReceivedMessage, name: string) => new RegExp(`${name}="([^"]*)"`).exec(m.structuredData)?.[1];
const eventSeqs = (messages: readonly ReceivedMessage[]) => messages.filter((m) => m.msgid !== 'audit.checkpoint' && m.msgid !== 'audit.test').map((m) => Number(sdParam(m, 'seq')));

peerSuite('audit streaming to syslog over TLS, with rsyslogd as the receiver (AUD-5)', skip, () => {
  let f: StreamingFixture;
  let certs: TestCertificates;
  let receiver: RsyslogReceiver;
  let destinationId: string;
  const dirs: string[] = [];

  before(async () => {
    f = await createStreamingFixture();
    certs = createTestCertificates();
    dirs.push(certs.dir, mkdtempSync(join(tmpdir(), 'parapet-rsyslog-')));
    receiver = createRsyslogReceiver(dirs[1] ?? '', certs, await freePort());
    await receiver.start();
  });
  after(async () => {
    await receiver.stop();
    await f.t.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('AUD-5: delivers every event in seq order as RFC 5424 messages that rsyslogd parses, with the signed checkpoints in-stream', async () => {
    const created = await f.streaming.service.create(f.ctx, f.orgId, { kind: 'syslog', name: 'rsyslog', format: 'json', host: '127.0.0.1', port: receiver.port, caPem: certs.caPem, enabled: true, start: 'beginning' });
    destinationId = created.destination.id;
    assert.equal(created.secret, null);
    await f.addEvents(12);
    await f.streaming.worker.drain();

    const canonical = await f.canonicalEvents();
    const messages = await waitFor('rsyslog to write every event', () => receiver.received(), (m) => eventSeqs(m).length >= canonical.length);
    assert.deepEqual(eventSeqs(messages), canonical.map((_, seq) => seq), 'each event once, in seq order');
    for (const m of messages.filter((x) => x.msgid !== 'audit.checkpoint')) {
      const seq = Number(sdParam(m, 'seq'));
      const event = JSON.parse(canonical[seq] ?? '') as { action: string; outcome: string };
      assert.equal(m.appName, 'parapet');
      assert.equal(m.msgid, event.action);
      assert.equal(sdParam(m, 'tenant'), f.orgId);
      // facility 13 (log audit); notice for successes, warning for denials
      assert.equal(m.pri, 13 * 8 + (event.outcome === 'success' ? 5 : 4));
      // MSG is the canonical event, byte for byte once \u escapes are read back
      assert.equal(JSON.stringify(JSON.parse(m.msg)), canonical[seq]);
      assert.match(m.msg, /^[\x20-\x7e]+$/, 'MSG is plain ASCII');
    }
    const checkpoints = messages.filter((m) => m.msgid === 'audit.checkpoint').map((m) => JSON.parse(m.msg) as { size: number; note: string; verifier_key: string });
    assert.ok(checkpoints.length > 0, 'no checkpoint was streamed');
    const last = checkpoints.at(-1);
    assert.equal(last?.size, canonical.length);
    assert.match(last?.note ?? '', new RegExp(`/audit/${f.orgId}\\n${canonical.length}\\n`));
    assert.equal(last?.verifier_key, f.t.app.services.audit.signer.verifierKey);
    // each checkpoint follows the events it covers
    for (const [index, m] of messages.entries()) {
      if (m.msgid !== 'audit.checkpoint') continue;
      const size = Number(sdParam(m, 'size'));
      assert.deepEqual(eventSeqs(messages.slice(0, index)), Array.from({ length: size }, (_, i) => i));
    }
    assert.equal((await f.cursor(destinationId)).next_seq, canonical.length);
  });

  it('AUD-5: while the receiver is down the cursor stays put and backs off; after it restarts, delivery resumes from the durable cursor and nothing is lost', async () => {
    const before_ = await f.cursor(destinationId);
    await receiver.stop();
    await f.addEvents(7);
    const failed = await f.streaming.worker.runOnce();
    assert.deepEqual(failed, { delivered: 0, failed: 1 });
    const down = await f.cursor(destinationId);
    assert.equal(down.next_seq, before_.next_seq, 'the cursor moved without an acknowledgement');
    assert.equal(down.attempts, 1);
    assert.match(down.last_error ?? '', /^unreachable: /);
    const wait = down.next_attempt_at.getTime() - f.clock.now().getTime();
    assert.ok(wait >= 500 && wait <= 1000, `first retry after ${wait} ms, expected 0.5–1 s`);
    assert.deepEqual(await f.streaming.worker.runOnce(), { delivered: 0, failed: 0 }, 'retried before the backoff elapsed');

    f.clock.advance(wait);
    assert.deepEqual(await f.streaming.worker.runOnce(), { delivered: 0, failed: 1 });
    const again = await f.cursor(destinationId);
    assert.equal(again.attempts, 2);
    const second = again.next_attempt_at.getTime() - f.clock.now().getTime();
    assert.ok(second >= 1000 && second <= 2000, `second retry after ${second} ms, expected 1–2 s`);

    await receiver.start();
    f.clock.advance(second);
    await f.addEvents(3);
    await f.streaming.worker.drain();
    const canonical = await f.canonicalEvents();
    const messages = await waitFor('rsyslog to write the backlog', () => receiver.received(), (m) => new Set(eventSeqs(m)).size >= canonical.length);
    const seqs = eventSeqs(messages);
    // At least once: every seq arrived; first arrivals are in order.
    const firsts = seqs.filter((seq, i) => seqs.indexOf(seq) === i);
    assert.deepEqual(firsts, canonical.map((_, seq) => seq));
    const after_ = await f.cursor(destinationId);
    assert.deepEqual([after_.next_seq, after_.attempts, after_.last_error], [canonical.length, 0, null]);
  });

  it("AUD-5: refuses a receiver whose certificate was not issued by the destination's CA", async () => {
    const other = createTestCertificates('Other');
    dirs.push(other.dir);
    const { destination } = await f.streaming.service.create(f.ctx, f.orgId, { kind: 'syslog', name: 'wrong ca', format: 'json', host: '127.0.0.1', port: receiver.port, caPem: other.caPem, enabled: false, start: 'now' });
    const result = await f.streaming.service.test(f.orgId, destination.id);
    assert.equal(result.delivered, false);
    assert.match(result.error ?? '', /^tls: /);
    const noCa = await f.streaming.service.create(f.ctx, f.orgId, { kind: 'syslog', name: 'system store', format: 'json', host: '127.0.0.1', port: receiver.port, enabled: false, start: 'now' });
    assert.match((await f.streaming.service.test(f.orgId, noCa.destination.id)).error ?? '', /^tls: /, 'a self-signed CA is not in the system store');
    const good = await f.streaming.service.create(f.ctx, f.orgId, { kind: 'syslog', name: 'test message', format: 'ocsf', host: '127.0.0.1', port: receiver.port, caPem: certs.caPem, enabled: false, start: 'now' });
    assert.deepEqual(await f.streaming.service.test(f.orgId, good.destination.id), { delivered: true, error: null });
    await waitFor('the test message', () => receiver.received(), (m) => m.some((x) => x.msgid === 'audit.test'));
  });
});
