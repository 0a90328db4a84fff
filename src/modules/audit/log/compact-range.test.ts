import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLogError } from './audit-log-error.ts';
import { appendLeaf, frontierRoot, type TreeNode } from './compact-range.ts';
import { emptyRoot, leafHash } from './merkle-hash.ts';
import { numberedEntries, REFERENCE_LEAVES, REFERENCE_ROOTS, toHex } from './merkle-test-fixture.ts';
import { rootFromLeaves } from './root-from-leaves.ts';

function appendAll(hashes: readonly Uint8Array[], onAppend: (size: number, frontier: Uint8Array[], newNodes: TreeNode[]) => void): void {
  let frontier: Uint8Array[] = [];
  hashes.forEach((hash, size) => {
    const appended = appendLeaf(frontier, size, hash);
    frontier = appended.frontier;
    onAppend(size + 1, frontier, appended.newNodes);
  });
}

test('the frontier of an empty tree has the empty tree hash as its root', () => {
  assert.equal(toHex(frontierRoot([])), toHex(emptyRoot()));
});

test('frontier roots of the RFC 6962 reference tree match the published roots', () => {
  appendAll(REFERENCE_LEAVES.map((leaf) => leafHash(leaf)), (size, frontier) => {
    assert.equal(toHex(frontierRoot(frontier)), REFERENCE_ROOTS[size - 1], `size ${size}`);
  });
});

test('the frontier root equals the directly computed root for every size up to 300', () => {
  const hashes = numberedEntries(300).map((entry) => leafHash(entry));
  appendAll(hashes, (size, frontier) => {
    assert.equal(frontier.length, size.toString(2).replaceAll('0', '').length, `one entry per set bit of ${size}`);
    assert.equal(toHex(frontierRoot(frontier)), toHex(rootFromLeaves(hashes.slice(0, size))), `size ${size}`);
  });
});

test('each append returns exactly the perfect subtrees it completed, each with the hash of the leaves it covers', () => {
  const hashes = numberedEntries(300).map((entry) => leafHash(entry));
  const stored = new Set<string>();
  appendAll(hashes, (size, _frontier, newNodes) => {
    assert.deepEqual(newNodes[0], { level: 0, index: size - 1, hash: hashes[size - 1] });
    newNodes.forEach((node, i) => {
      const width = 2 ** node.level;
      assert.equal(node.level, i, 'levels go up one at a time from the leaf');
      assert.equal((node.index + 1) * width, size, 'every new subtree ends at the new leaf');
      assert.equal(toHex(node.hash), toHex(rootFromLeaves(hashes.slice(node.index * width, size))));
      assert.ok(!stored.has(`${node.level}/${node.index}`), 'no subtree is produced twice');
      stored.add(`${node.level}/${node.index}`);
    });
  });
  // A tree of n leaves has 2n - popcount(n) perfect subtrees: 300 = 0b100101100 has 4 set bits.
  assert.equal(stored.size, 2 * 300 - 4);
});

test('appending refuses a frontier that does not match the tree size', () => {
  const leaf = leafHash(new Uint8Array());
  assert.throws(() => appendLeaf([], 1, leaf), (error: unknown) => error instanceof AuditLogError && error.code === 'invalid_argument');
  assert.throws(() => appendLeaf([leaf], 3, leaf), AuditLogError);
  assert.throws(() => appendLeaf([leaf, leaf], 2, leaf), AuditLogError);
});

test('appending refuses hashes that are not 32 bytes and sizes that are not safe integers', () => {
  const leaf = leafHash(new Uint8Array());
  assert.throws(() => appendLeaf([], 0, leaf.subarray(1)), AuditLogError);
  assert.throws(() => appendLeaf([leaf.subarray(1)], 1, leaf), AuditLogError);
  assert.throws(() => appendLeaf([], -1, leaf), AuditLogError);
  assert.throws(() => appendLeaf([], 0.5, leaf), AuditLogError);
  assert.throws(() => appendLeaf([], Number.MAX_SAFE_INTEGER, leaf), AuditLogError);
});

test('appending leaves the caller\'s frontier untouched', () => {
  const leaf = leafHash(new Uint8Array());
  const frontier = [leaf];
  appendLeaf(frontier, 1, leaf);
  assert.equal(frontier.length, 1);
});

test('a frontier for a size beyond 32 bits carries correctly', () => {
  // 2^33 - 1 leaves: 33 perfect subtrees; the next leaf merges all of them into one of height 33.
  const size = 2 ** 33 - 1;
  const leaf = leafHash(new Uint8Array());
  const { frontier, newNodes } = appendLeaf(Array.from({ length: 33 }, () => leaf), size, leaf);
  assert.equal(frontier.length, 1);
  assert.deepEqual(newNodes.map((n) => [n.level, n.index]), Array.from({ length: 34 }, (_, level) => [level, Math.floor(size / 2 ** level)]));
});
