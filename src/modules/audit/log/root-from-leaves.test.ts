import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyRoot, leafHash } from './merkle-hash.ts';
import { REFERENCE_LEAVES, REFERENCE_ROOTS, toHex } from './merkle-test-fixture.ts';
import { rootFromLeaves } from './root-from-leaves.ts';

test('the root of no leaves is the empty tree hash', () => {
  assert.equal(toHex(rootFromLeaves([])), toHex(emptyRoot()));
});

test('the roots of every prefix of the RFC 6962 reference tree match the published values', () => {
  const hashes = REFERENCE_LEAVES.map((leaf) => leafHash(leaf));
  for (let n = 1; n <= hashes.length; n += 1) {
    assert.equal(toHex(rootFromLeaves(hashes.slice(0, n))), REFERENCE_ROOTS[n - 1], `size ${n}`);
  }
});
