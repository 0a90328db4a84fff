import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyRoot, leafHash, nodeHash } from './merkle-hash.ts';
import { toHex } from './merkle-test-fixture.ts';

// Expected values from github.com/transparency-dev/merkle rfc6962/rfc6962_test.go.
const text = (s: string) => new TextEncoder().encode(s);

test('the empty tree hashes to SHA-256 of the empty string', () => {
  assert.equal(toHex(emptyRoot()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('a leaf hash is SHA-256 over 0x00 and the entry, so an empty leaf differs from the empty tree', () => {
  assert.equal(toHex(leafHash(new Uint8Array())), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  assert.equal(toHex(leafHash(text('L123456'))), '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
});

test('a node hash is SHA-256 over 0x01, the left child and the right child', () => {
  assert.equal(toHex(nodeHash(text('N123'), text('N456'))), 'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb');
});

test('a node cannot be passed off as a leaf holding its two children', () => {
  const left = leafHash(text('Hello'));
  const right = leafHash(text('World'));
  assert.notEqual(toHex(nodeHash(left, right)), toHex(leafHash(Buffer.concat([left, right]))));
  assert.notEqual(toHex(nodeHash(left, right)), toHex(nodeHash(right, left)));
});
