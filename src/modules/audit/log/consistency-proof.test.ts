import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AuditLogError } from './audit-log-error.ts';
import { consistencyProof, verifyConsistency } from './consistency-proof.ts';
import { emptyRoot } from './merkle-hash.ts';
import { flipByte, fromHex, memoryLog, numberedEntries, REFERENCE_LEAVES, REFERENCE_ROOTS, toHex } from './merkle-test-fixture.ts';

// github.com/transparency-dev/merkle proof/verify_test.go `consistencyProofs`.
const VECTORS: { oldSize: number; newSize: number; proof: string[] }[] = [
  { oldSize: 1, newSize: 1, proof: [] },
  { oldSize: 1, newSize: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { oldSize: 6, newSize: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { oldSize: 2, newSize: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { oldSize: 6, newSize: 7, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
];
const reference = memoryLog(REFERENCE_LEAVES);
const log = memoryLog(numberedEntries(300));
const sizes = fc.integer({ min: 0, max: 300 }).chain((newSize) => fc.tuple(fc.nat(newSize), fc.constant(newSize)));

test('consistency proofs in the RFC 6962 reference tree match the published proofs and verify', async () => {
  for (const { oldSize, newSize, proof: expected } of VECTORS) {
    const proof = await consistencyProof(oldSize, newSize, reference.getNode);
    assert.deepEqual(proof.map(toHex), expected, `${oldSize} to ${newSize}`);
    assert.ok(verifyConsistency(oldSize, newSize, fromHex(REFERENCE_ROOTS[oldSize - 1]!), fromHex(REFERENCE_ROOTS[newSize - 1]!), proof));
  }
});

test('the published consistency proofs fail under every corruption the reference verifier tests', () => {
  const wrong = new TextEncoder().encode('WrongRoot');
  for (const { oldSize: m, newSize: n, proof: hex } of VECTORS.slice(1)) {
    const proof = hex.map(fromHex);
    const r1 = fromHex(REFERENCE_ROOTS[m - 1]!);
    const r2 = fromHex(REFERENCE_ROOTS[n - 1]!);
    const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
      ['size1 - 1', m - 1, n, r1, r2, proof],
      ['size1 + 1', m + 1, n, r1, r2, proof],
      ['size1 ^ 2', m ^ 2, n, r1, r2, proof],
      ['size2 * 2', m, n * 2, r1, r2, proof],
      ['size2 / 2', m, Math.floor(n / 2), r1, r2, proof],
      ['wrong root1', m, n, wrong, r2, proof],
      ['wrong root2', m, n, r1, wrong, proof],
      ['swapped roots', m, n, r2, r1, proof],
      ['empty proof', m, n, r1, r2, []],
      ['trailing garbage', m, n, r1, r2, [...proof, new Uint8Array()]],
      ['trailing root1', m, n, r1, r2, [...proof, r1]],
      ['trailing root2', m, n, r1, r2, [...proof, r2]],
      ['preceding garbage', m, n, r1, r2, [new Uint8Array(), ...proof]],
      ['preceding root1', m, n, r1, r2, [r1, ...proof]],
      ['preceding root2', m, n, r1, r2, [r2, ...proof]],
      ['preceding proof[0]', m, n, r1, r2, [proof[0]!, ...proof]],
      ['truncated proof', m, n, r1, r2, proof.slice(0, -1)],
      ...proof.map((_, i): [string, number, number, Uint8Array, Uint8Array, Uint8Array[]] =>
        [`proof[${i}] bit 4 flipped`, m, n, r1, r2, proof.map((c, j) => (i === j ? flipByte(c, 0, 16) : c))]),
    ];
    for (const [name, a, b, x, y, p] of probes) assert.equal(verifyConsistency(a, b, x, y, p), false, `${m} to ${n}: ${name}`);
  }
});

test('equal sizes need equal roots and an empty proof, and the empty tree is a prefix of every tree', () => {
  const [root3, root4] = [log.roots[3]!, log.roots[4]!];
  assert.ok(verifyConsistency(3, 3, root3, root3, []));
  assert.equal(verifyConsistency(3, 3, root3, root4, []), false);
  assert.equal(verifyConsistency(3, 3, root3, root3, [root3]), false);
  assert.ok(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), []));
  assert.ok(verifyConsistency(0, 4, emptyRoot(), root4, []));
  assert.equal(verifyConsistency(0, 4, root3, root4, []), false, 'a size-0 tree has the empty root');
  assert.equal(verifyConsistency(0, 4, emptyRoot(), root4, [emptyRoot()]), false);
  assert.equal(verifyConsistency(4, 3, root4, root3, []), false, 'trees do not shrink');
  assert.equal(verifyConsistency(1.5, 3, root4, root3, []), false);
});

test('every consistency proof between sizes up to 300 verifies against the directly computed roots', async () => {
  await fc.assert(fc.asyncProperty(sizes, async ([oldSize, newSize]) => {
    const proof = await consistencyProof(oldSize, newSize, log.getNode);
    assert.ok(verifyConsistency(oldSize, newSize, log.roots[oldSize]!, log.roots[newSize]!, proof));
  }), { numRuns: 400 });
});

test('flipping any byte of a consistency proof or of either root makes verification fail', async () => {
  await fc.assert(fc.asyncProperty(sizes, fc.nat(), fc.nat(31), fc.integer({ min: 1, max: 255 }), async ([m, n], pick, at, mask) => {
    const proof = await consistencyProof(m, n, log.getNode);
    const [r1, r2] = [log.roots[m]!, log.roots[n]!];
    assert.equal(verifyConsistency(m, n, flipByte(r1, at, mask), r2, proof), false, 'old root');
    // The empty tree is a prefix of every tree, so from size 0 the new root is not constrained.
    if (m > 0) assert.equal(verifyConsistency(m, n, r1, flipByte(r2, at, mask), proof), false, 'new root');
    if (proof.length === 0) return;
    const element = pick % proof.length;
    assert.equal(verifyConsistency(m, n, r1, r2, proof.map((c, i) => (i === element ? flipByte(c, at, mask) : c))), false, 'proof');
  }), { numRuns: 400 });
});

test('a consistency proof fails for any other pair of sizes, checked against their own roots', async () => {
  await fc.assert(fc.asyncProperty(sizes, sizes, async ([m, n], [otherM, otherN]) => {
    if (m === 0 || m === n || (otherM === m && otherN === n)) return;
    const proof = await consistencyProof(m, n, log.getNode);
    assert.equal(verifyConsistency(otherM, otherN, log.roots[otherM]!, log.roots[otherN]!, proof), false);
  }), { numRuns: 500 });
});

test('AUD-2: a log that removed or reordered an entry cannot prove it extends an earlier checkpoint', async () => {
  const entries = numberedEntries(40);
  const honest = memoryLog(entries);
  const checkpoint = { size: 25, root: honest.roots[25]! };
  const removed = memoryLog(entries.filter((_, i) => i !== 17));
  const reordered = memoryLog([...entries.slice(0, 9), entries[10]!, entries[9]!, ...entries.slice(11)]);
  for (const forged of [removed, reordered]) {
    const newSize = forged.leafHashes.length;
    for (let claimed = 1; claimed <= newSize; claimed += 1) {
      const proof = await consistencyProof(claimed, newSize, forged.getNode);
      assert.equal(verifyConsistency(checkpoint.size, newSize, checkpoint.root, forged.roots[newSize]!, proof), false);
    }
  }
  const proof = await consistencyProof(25, 40, honest.getNode);
  assert.ok(verifyConsistency(checkpoint.size, 40, checkpoint.root, honest.roots[40]!, proof));
});

test('proving consistency backwards in time is refused', async () => {
  await assert.rejects(consistencyProof(5, 4, log.getNode), AuditLogError);
  await assert.rejects(consistencyProof(-1, 4, log.getNode), AuditLogError);
  assert.deepEqual(await consistencyProof(0, 4, log.getNode), []);
  assert.deepEqual(await consistencyProof(4, 4, log.getNode), []);
});
