import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asciiJson, octetCountedFrame, SD_ID, syslogMessage } from './syslog-message.ts';

const header = { hostname: 'parapet.example.com', tenantId: '0190d6a0-0000-7000-8000-000000000001' };

describe('RFC 5424 messages and RFC 5425 framing', () => {
  it('AUD-5: writes an event as <PRI>1 TIMESTAMP HOSTNAME parapet - MSGID [SD] MSG, facility 13 with severity from the outcome', () => {
    const event = { type: 'event', seq: 41, action: 'session.login_failed', outcome: 'failure', occurred_at: '2025-01-02T03:04:05.678Z', event: { a: 1 } } as const;
    assert.equal(
      syslogMessage(event, header),
      `<108>1 2025-01-02T03:04:05.678Z parapet.example.com parapet - session.login_failed [${SD_ID} tenant="${header.tenantId}" seq="41"] {"a":1}`,
    );
    assert.match(syslogMessage({ ...event, outcome: 'success' }, header), /^<109>1 /);
  });

  it('AUD-5: escapes ", \\ and ] in SD parameter values and keeps HOSTNAME and MSGID to printable ASCII', () => {
    const message = syslogMessage({ type: 'checkpoint', kind: 'regular', size: 3, created_at: '2025-01-02T03:04:05.678Z', note: 'x', verifier_key: 'k' }, { hostname: 'bad host\n', tenantId: 'a"b\\c]d' });
    assert.ok(message.includes(`[${SD_ID} tenant="a\\"b\\\\c\\]d" size="3" kind="regular"]`));
    assert.ok(message.includes(' badhost parapet - audit.checkpoint '));
  });

  it('AUD-5: the MSG is ASCII JSON that parses back to the same value, so no BOM is needed', () => {
    const value = { name: 'Zoë — 東京 🙂', quote: '"\\' };
    const text = asciiJson(value);
    assert.match(text, /^[\x20-\x7e]+$/);
    assert.deepEqual(JSON.parse(text), value);
  });

  it('AUD-5: octet-counting counts bytes, not characters', () => {
    const frame = octetCountedFrame('<109>1 - - - - - - é');
    assert.equal(frame.toString('utf8'), `21 <109>1 - - - - - - é`);
  });
});
