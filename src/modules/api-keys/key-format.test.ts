import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_KEY_PATTERN, base62, formatApiKey, formatSigningSecret, fromBase62, isWellFormedKey, keyChecksum, keyPrefix, parseApiKey, SIGNING_SECRET_PATTERN } from './key-format.ts';

const ID = '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b';

describe('API key format', () => {
  it('AUTH-7: formats a key that the scanner expression matches and that parses back to its id and mode', () => {
    for (const mode of ['live', 'test'] as const) {
      const key = formatApiKey(mode, ID, Buffer.alloc(32, 0xab));
      assert.equal(key.length, 81);
      assert.match(key, API_KEY_PATTERN);
      assert.ok(key.startsWith(`${keyPrefix(mode, ID)}_`));
      assert.deepEqual(parseApiKey(key), { mode, id: ID });
    }
  });

  it('keeps fixed widths for extreme values (all-zero and all-one bytes)', () => {
    for (const fill of [0x00, 0xff]) {
      const key = formatApiKey('live', fill === 0 ? '00000000-0000-0000-0000-000000000000' : 'ffffffff-ffff-ffff-ffff-ffffffffffff', Buffer.alloc(32, fill));
      assert.equal(key.length, 81);
      assert.ok(isWellFormedKey(key));
    }
    assert.equal(base62(Buffer.alloc(32, 0xff), 43).length, 43);
    assert.throws(() => base62(Buffer.alloc(33, 0xff), 43), RangeError);
    assert.equal(fromBase62('z'.repeat(22), 16), undefined, '62^22 - 1 exceeds 128 bits');
  });

  it('the checksum is CRC-32 of the key body in 6 base62 characters', () => {
    assert.equal(keyChecksum(''), '000000');
    // zlib.crc32('123456789') = 0xCBF43926 (the CRC-32 check value) = 3421780262 = "3jJ8ki" in base62.
    assert.equal(keyChecksum('123456789'), base62(Buffer.from([0xcb, 0xf4, 0x39, 0x26]), 6));
  });

  it('AUTH-7: refuses any single-character change, truncation, extension or wrong prefix', () => {
    const key = formatApiKey('live', ID, Buffer.alloc(32, 0x5a));
    for (let i = 9; i < key.length; i++) {
      if (key[i] === '_') continue;
      const changed = key.slice(0, i) + (key[i] === 'A' ? 'B' : 'A') + key.slice(i + 1);
      assert.equal(isWellFormedKey(changed), false, `change at ${i}`);
    }
    assert.equal(isWellFormedKey(key.slice(0, -1)), false);
    assert.equal(isWellFormedKey(`${key}0`), false);
    assert.equal(isWellFormedKey(key.replace('prk_live_', 'prk_prod_')), false);
    assert.equal(isWellFormedKey(key.replace('prk_live_', 'prk_test_')), false, 'the mode is covered by the checksum');
  });

  it('AUTH-8: signing secrets have their own prefix and pattern', () => {
    const secret = formatSigningSecret(Buffer.alloc(32, 1));
    assert.match(secret, SIGNING_SECRET_PATTERN);
    assert.doesNotMatch(secret, API_KEY_PATTERN);
  });
});
