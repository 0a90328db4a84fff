import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AuditLogError } from './audit-log-error.ts';
import { canonicalJson } from './canonical-json.ts';

const text = (value: unknown) => new TextDecoder().decode(canonicalJson(value));
const refused = (error: unknown) => error instanceof AuditLogError && error.code === 'not_canonical_json';

test('serializes the RFC 8785 §3.2.2 example to the bytes the RFC gives', () => {
  const input: unknown = JSON.parse(String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`);
  // RFC 8785 §3.2.4, the UTF-8 of the canonical form of the example above.
  const expected = `
    7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
    75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
    5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
    65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
    5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
    30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`.replace(/\s+/g, '');
  assert.equal(Buffer.from(canonicalJson(input)).toString('hex'), expected);
  assert.equal(text(input), String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
});

test('sorts properties by UTF-16 code units as in the RFC 8785 §3.2.3 example, not by code point or locale', () => {
  const input: unknown = JSON.parse(String.raw`{
    "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"
  }`);
  const order = [...text(input).matchAll(/:"([^"]*)"/g)].map((match) => match[1]);
  assert.deepEqual(order, ['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
  assert.equal(text({ peach: 1, 'péché': 2, 'pêche': 3, sin: 4 }), '{"peach":1,"péché":2,"pêche":3,"sin":4}');
});

test('sorts nested objects and keeps array order', () => {
  assert.equal(text({ b: [3, { z: 1, a: 2 }, 1], a: { '10': null, '1': [], d: true } }), '{"a":{"1":[],"10":null,"d":true},"b":[3,{"a":2,"z":1},1]}');
  assert.equal(text(-0), '0');
  assert.equal(text('\u2028'), '"\u2028"');
});

test('yields the same bytes whatever order properties were inserted in, and is stable when parsed back', () => {
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    const once = text(value);
    assert.equal(text(JSON.parse(once)), once);
    assert.equal(text(reverseKeys(value)), once);
  }), { numRuns: 300 });
});

test('refuses numbers JSON cannot represent', () => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, { a: Number.NEGATIVE_INFINITY }, [1, Number.NaN]]) {
    assert.throws(() => canonicalJson(value), refused);
  }
});

test('refuses values JSON would silently drop or rewrite', () => {
  const cases: [string, unknown][] = [
    ['undefined', undefined],
    ['an undefined member', { a: 1, b: undefined }],
    ['undefined in an array', [1, undefined]],
    ['an array hole', [1, , 3]],
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    ['a bigint', { n: 1n }],
    ['a Date', { at: new Date(0) }],
    ['a Map', new Map([['a', 1]])],
    ['a class instance', new (class Point { x = 1 })()],
    ['a boxed string', { s: new String('x') }],
    ['a symbol key', { [Symbol('k')]: 1, a: 1 }],
  ];
  for (const [name, value] of cases) assert.throws(() => canonicalJson(value), refused, name);
});

test('refuses lone surrogates, which are not I-JSON, in values and in property names', () => {
  assert.throws(() => canonicalJson('\ud800'), refused);
  assert.throws(() => canonicalJson({ ['a\udc00']: 1 }), refused);
});

test('refuses cycles but accepts an object shared by two branches', () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  assert.throws(() => canonicalJson(cycle), refused);
  const shared = { x: 1 };
  assert.equal(text({ a: shared, b: [shared] }), '{"a":{"x":1},"b":[{"x":1}]}');
});

test('accepts objects without a prototype, and deep nesting without overflowing the stack', () => {
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
  assert.equal(text(bare), '{"a":2,"b":1}');
  let deep: unknown = 0;
  for (let i = 0; i < 20_000; i += 1) deep = [deep];
  assert.equal(canonicalJson(deep).length, 40_001);
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

test('writes exactly the bytes the canonicalize package writes, for any JSON value, and refuses what the checked path refuses', async () => {
  const { default: canonicalize } = await import('canonicalize');
  // Members objects enumerate in their own way (integer-like names first) or cannot simply assign.
  for (const json of ['{"b":1,"__proto__":{"z":1,"a":2},"a":[]}', '{"10":1,"2":2,"1":3,"a":{"01":1,"-1":2}}']) {
    assert.equal(text(JSON.parse(json)), canonicalize(JSON.parse(json)));
  }
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      assert.equal(text(value), canonicalize(value));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true, withSparseArray: true, withTypedArray: true }), (value) => {
      let fast: string | undefined;
      try {
        fast = text(value);
      } catch (error) {
        assert.ok(refused(error));
        return;
      }
      assert.equal(fast, canonicalize(value));
    }),
    { numRuns: 3000 },
  );
});
