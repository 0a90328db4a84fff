import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLogError } from './audit-log-error.ts';
import { memoryLog, numberedEntries, toHex } from './merkle-test-fixture.ts';
import { rootFromLeaves } from './root-from-leaves.ts';
import { perfectSubtrees, subtreeHash } from './subtree-hash.ts';

const log = memoryLog(numberedEntries(64));

test('a range splits into perfect subtrees from the left, largest first', () => {
  assert.deepEqual(perfectSubtrees(0, 13), [{ level: 3, index: 0 }, { level: 2, index: 2 }, { level: 0, index: 12 }]);
  assert.deepEqual(perfectSubtrees(8, 16), [{ level: 3, index: 1 }]);
  assert.deepEqual(perfectSubtrees(4, 7), [{ level: 1, index: 2 }, { level: 0, index: 6 }]);
});

test('a range that no stored subtrees can rebuild is refused', () => {
  assert.throws(() => perfectSubtrees(1, 3), AuditLogError);
  assert.throws(() => perfectSubtrees(2, 6), AuditLogError);
  assert.throws(() => perfectSubtrees(3, 3), AuditLogError);
  assert.throws(() => perfectSubtrees(-1, 3), AuditLogError);
});

test('the hash of every rebuildable range equals the root computed from its leaves', async () => {
  let checked = 0;
  for (let start = 0; start < 64; start += 1) {
    for (let end = start + 1; end <= 64; end += 1) {
      const width = 2 ** Math.floor(Math.log2(end - start));
      if (start % width !== 0) continue;
      assert.equal(toHex(await subtreeHash(start, end, log.getNode)), toHex(rootFromLeaves(log.leafHashes.slice(start, end))), `[${start}, ${end})`);
      checked += 1;
    }
  }
  assert.ok(checked > 300);
});

test('a stored node that is not a 32-byte hash is refused rather than folded in', async () => {
  await assert.rejects(subtreeHash(0, 3, async () => new Uint8Array(31)), AuditLogError);
});
