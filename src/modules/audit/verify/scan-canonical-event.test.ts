import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../log/index.ts';
import { scanCanonicalEvent } from './scan-canonical-event.ts';

/** The slow, reference answer: the bytes are canonical when parsing and re-serializing reproduces them. */
function reference(bytes: Uint8Array): { ok: boolean; seq: unknown; tenantId: unknown } {
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { seq?: unknown; tenant_id?: unknown };
    const ok = Buffer.from(canonicalJson(parsed)).equals(Buffer.from(bytes));
    return { ok, seq: typeof parsed.seq === 'number' ? parsed.seq : undefined, tenantId: typeof parsed.tenant_id === 'string' ? parsed.tenant_id : undefined };
  } catch {
    return { ok: false, seq: undefined, tenantId: undefined };
  }
}

/** The fast path may say "not sure"; whenever it says canonical, the reference must agree, field for field. */
function agrees(bytes: Uint8Array): boolean {
  const fast = scanCanonicalEvent(bytes);
  if (fast === undefined) return true;
  const slow = reference(bytes);
  assert.ok(slow.ok, `fast path accepted non-canonical ${JSON.stringify(Buffer.from(bytes).toString('latin1'))}`);
  assert.equal(fast.seq, slow.seq);
  assert.equal(fast.tenantId, slow.tenantId);
  return true;
}

const event = (seq: number, extra: Record<string, unknown> = {}) => ({
  v: 1, id: '0190f3a4-5b6c-7d8e-9f00-112233445566', tenant_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', seq, occurred_at: '2026-11-23T04:01:02.345Z', recorded_at: '2026-11-23T04:01:02.410Z',
  action: 'project.created', outcome: 'success', actor: { type: 'user', id: 'u-1', display_name: 'Ada "the first" \\ Lovelace' },
  targets: [{ type: 'project', id: 'p-1', name: 'Wéb ✓ 🚀' }], source: { ip: '203.0.113.7', user_agent: 'Mozilla/5.0\t(X11)' }, request_id: null,
  metadata: { latency_ms: 12.5, status: 201, big: 1e21, small: 1e-7, neg: -3, ctl: '\u0001\u001f\b\f\n\r', ok: true, no: false },
  ...extra,
});

describe('single-pass canonical JSON check', () => {
  it('accepts the canonical bytes of an event and reads its seq and tenant', () => {
    for (const seq of [0, 1, 41, 2 ** 40]) {
      const scanned = scanCanonicalEvent(canonicalJson(event(seq)));
      assert.deepEqual(scanned, { seq, tenantId: '7c9e6679-7425-40de-944b-e07fc1f90ae7' });
    }
  });

  it('never accepts bytes that parsing and re-serializing would not reproduce (crafted cases)', () => {
    const canonical = Buffer.from(canonicalJson(event(7))).toString('utf8');
    const cases = [
      canonical.replace('{"action"', '{ "action"'), // whitespace
      canonical.replace('"v":1}', '"v":1} '),
      canonical.replace('"v":1', '"v":1.0'),
      canonical.replace('"v":1', '"v":1E0'),
      canonical.replace('"v":1', '"v":-0'),
      canonical.replace('"v":1', '"v":1e400'),
      canonical.replace('"v":1', '"v":01'),
      canonical.replace('"big":1e+21', '"big":1000000000000000000000'),
      canonical.replace('"latency_ms":12.5', '"latency_ms":12.50'),
      canonical.replace('"seq":7', '"seq":7,"seq":7'), // duplicate key
      canonical.replace('"outcome":"success",', '').replace('"action"', '"outcome":"success","action"'), // unsorted
      canonical.replace('Ada', '\\u0041da'), // needless escape
      canonical.replace('Ada', 'A\\/da'),
      canonical.replace('\\u001f', '\\u001F'), // uppercase hex
      canonical.replace('\\t', '\\u0009'), // long form of a short escape
      canonical.replace('\\t', '\t'), // raw control character
      canonical.replace('Ada', '\\ud800da'), // lone surrogate
      canonical.replace('Wéb', 'W\\u00e9b'),
      `\ufeff${canonical}`,
      'null',
      '[{"seq":1}]',
      '{"1":1,"10":2,"2":3}',
      '{"10":1,"2":2,"1":3}',
      '{"a":{"b":1,"a":2}}',
      '{"a":[1,2,]}',
      '{"a":tru}',
      '{"a":"\\x"}',
      '{"a":1}{"b":2}',
      '{"a":1',
    ];
    for (const text of cases) {
      assert.ok(agrees(Buffer.from(text, 'utf8')));
      if (!reference(Buffer.from(text, 'utf8')).ok) assert.equal(scanCanonicalEvent(Buffer.from(text, 'utf8')), undefined, text);
    }
    // Invalid UTF-8, an overlong encoding and an encoded surrogate.
    for (const bytes of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const invalid = Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')]);
      assert.equal(scanCanonicalEvent(invalid), undefined);
    }
  });

  it('agrees with parsing and re-serializing on random JSON, canonical or not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seq) => {
        const bytes = canonicalJson({ data: value, seq, tenant_id: 't' });
        assert.ok(agrees(bytes));
        assert.ok(agrees(Buffer.from(JSON.stringify({ seq, data: value }))));
        assert.ok(agrees(Buffer.from(JSON.stringify({ data: value, seq }, null, 1))));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with parsing and re-serializing after random damage to canonical bytes', () => {
    const base = canonicalJson(event(12));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete'), (position, byte, how) => {
        const at = position % base.length;
        const bytes = Buffer.from(base);
        const damaged = how === 'set' ? (bytes.writeUInt8(byte, at), bytes) : how === 'insert' ? Buffer.concat([bytes.subarray(0, at), Buffer.of(byte), bytes.subarray(at)]) : Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        assert.ok(agrees(damaged));
      }),
      { numRuns: 5000 },
    );
  });
});
