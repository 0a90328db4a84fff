import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AuditLogError } from './audit-log-error.ts';
import { canonicalJson } from './canonical-json.ts';
import { inclusionProof, verifyInclusion } from './inclusion-proof.ts';
import { emptyRoot, leafHash } from './merkle-hash.ts';
import { flipByte, fromHex, memoryLog, numberedEntries, REFERENCE_LEAVES, REFERENCE_ROOTS, toHex } from './merkle-test-fixture.ts';

// github.com/transparency-dev/merkle proof/verify_test.go `inclusionProofs` (leaf numbers there are 1-based).
const VECTORS: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  { index: 0, size: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, path: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, path: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];
const SOME_HASH = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456');
const reference = memoryLog(REFERENCE_LEAVES);
const log = memoryLog(numberedEntries(300));

test('inclusion proofs in the RFC 6962 reference tree match the published audit paths and verify', async () => {
  for (const { index, size, path } of VECTORS) {
    const proof = await inclusionProof(index, size, reference.getNode);
    assert.deepEqual(proof.map(toHex), path, `leaf ${index} of ${size}`);
    assert.ok(verifyInclusion(reference.leafHashes[index]!, index, size, proof, fromHex(REFERENCE_ROOTS[size - 1]!)));
  }
});

test('the published audit paths fail under every corruption the reference verifier tests', () => {
  for (const { index, size, path: hex } of VECTORS.slice(1)) {
    const path = hex.map(fromHex);
    const root = fromHex(REFERENCE_ROOTS[size - 1]!);
    const leaf = reference.leafHashes[index]!;
    const probes: [string, Uint8Array, number, number, Uint8Array[], Uint8Array][] = [
      ['index - 1', leaf, index - 1, size, path, root],
      ['index + 1', leaf, index + 1, size, path, root],
      ['index ^ 2', leaf, index ^ 2, size, path, root],
      ['size * 2', leaf, index, size * 2, path, root],
      ['size / 2', leaf, index, Math.floor(size / 2), path, root],
      ['wrong leaf', new TextEncoder().encode('WrongLeaf'), index, size, path, root],
      ['empty root', leaf, index, size, path, emptyRoot()],
      ['random root', leaf, index, size, path, SOME_HASH],
      ['trailing garbage', leaf, index, size, [...path, new Uint8Array()], root],
      ['trailing root', leaf, index, size, [...path, root], root],
      ['preceding garbage', leaf, index, size, [new Uint8Array(), ...path], root],
      ['preceding root', leaf, index, size, [root, ...path], root],
      ['removed component', leaf, index, size, path.slice(0, -1), root],
      ...path.map((_, i): [string, Uint8Array, number, number, Uint8Array[], Uint8Array] =>
        [`proof[${i}] bit 3 flipped`, leaf, index, size, path.map((p, j) => (i === j ? flipByte(p, 0, 8) : p)), root]),
    ];
    if (path.length > 1) probes.push(['inserted component', leaf, index, size, [path[0]!, SOME_HASH, ...path.slice(1)], root]);
    for (const [name, l, i, n, p, r] of probes) assert.equal(verifyInclusion(l, i, n, p, r), false, `leaf ${index} of ${size}: ${name}`);
  }
});

test('every inclusion proof in trees of up to 300 leaves verifies against the directly computed root', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1))), async ([size, index]) => {
    const proof = await inclusionProof(index, size, log.getNode);
    assert.ok(verifyInclusion(log.leafHashes[index]!, index, size, proof, log.roots[size]!));
  }), { numRuns: 300 });
});

test('flipping any byte of a proof, the leaf hash or the root makes inclusion verification fail', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 2, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1))),
    fc.nat(), fc.nat(31), fc.integer({ min: 1, max: 255 }),
    async ([size, index], pick, at, mask) => {
      const proof = await inclusionProof(index, size, log.getNode);
      const leaf = log.leafHashes[index]!;
      const root = log.roots[size]!;
      const element = pick % proof.length;
      const tampered = proof.map((p, i) => (i === element ? flipByte(p, at, mask) : p));
      assert.equal(verifyInclusion(leaf, index, size, tampered, root), false, 'proof element');
      assert.equal(verifyInclusion(flipByte(leaf, at, mask), index, size, proof, root), false, 'leaf');
      assert.equal(verifyInclusion(leaf, index, size, proof, flipByte(root, at, mask)), false, 'root');
    },
  ), { numRuns: 300 });
});

test('an inclusion proof fails for any other index, and against the root of any other size', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1))),
    fc.nat(299), fc.integer({ min: 1, max: 300 }),
    async ([size, index], otherIndex, otherSize) => {
      const proof = await inclusionProof(index, size, log.getNode);
      const leaf = log.leafHashes[index]!;
      if (otherIndex !== index) assert.equal(verifyInclusion(leaf, otherIndex, size, proof, log.roots[size]!), false, 'index');
      if (otherSize !== size) assert.equal(verifyInclusion(leaf, index, otherSize, proof, log.roots[otherSize]!), false, 'size');
    },
  ), { numRuns: 500 });
});

test('an audit path binds the tree size only through the root, so size and root must come from one checkpoint', async () => {
  // RFC 9162 §2.1.3.2 folds the same hashes for leaf 0 of a 3-leaf and of a 4-leaf tree.
  const proof = await inclusionProof(0, 3, log.getNode);
  assert.ok(verifyInclusion(log.leafHashes[0]!, 0, 4, proof, log.roots[3]!));
  assert.equal(verifyInclusion(log.leafHashes[0]!, 0, 4, proof, log.roots[4]!), false);
});

test('AUD-2: changing any byte of a logged event makes its inclusion proof fail against the signed root', async () => {
  const events = Array.from({ length: 21 }, (_, seq) => ({ v: 1, seq, action: 'session.created', outcome: 'success', metadata: { n: seq } }));
  const eventLog = memoryLog(events.map((event) => canonicalJson(event)));
  const root = eventLog.roots[21]!;
  const proof = await inclusionProof(13, 21, eventLog.getNode);
  assert.ok(verifyInclusion(leafHash(canonicalJson(events[13])), 13, 21, proof, root));
  assert.equal(verifyInclusion(leafHash(canonicalJson({ ...events[13], outcome: 'failure' })), 13, 21, proof, root), false);
  const bytes = canonicalJson(events[13]);
  for (let at = 0; at < bytes.length; at += 1) {
    assert.equal(verifyInclusion(leafHash(flipByte(bytes, at, 1)), 13, 21, proof, root), false, `byte ${at}`);
  }
});

test('verification returns false, rather than throwing, for malformed input', () => {
  const leaf = log.leafHashes[0]!;
  assert.equal(verifyInclusion(leaf, 0, 0, [], emptyRoot()), false);
  assert.equal(verifyInclusion(leaf, 1, 1, [], leaf), false);
  assert.equal(verifyInclusion(leaf, -1, 1, [], leaf), false);
  assert.equal(verifyInclusion(leaf, 0.5, 1, [], leaf), false);
  assert.equal(verifyInclusion(leaf.subarray(1), 0, 1, [], leaf.subarray(1)), false);
  assert.equal(verifyInclusion(leaf, 0, 1, [], leaf), true);
});

test('proving a leaf outside the tree is refused', async () => {
  await assert.rejects(inclusionProof(3, 3, log.getNode), AuditLogError);
  await assert.rejects(inclusionProof(0, 0, log.getNode), AuditLogError);
  await assert.rejects(inclusionProof(-1, 3, log.getNode), AuditLogError);
});
