import { AuditLogError } from './audit-log-error.ts';
import { equalBytes } from './equal-bytes.ts';
import { emptyRoot, HASH_SIZE, nodeHash } from './merkle-hash.ts';
import { subtreeHash, type GetNode } from './subtree-hash.ts';
import { half, isPowerOfTwo, isTreeIndex, splitPoint } from './tree-arithmetic.ts';

/**
 * The consistency proof (RFC 9162 §2.1.4.1) that the tree of size `oldSize` is a prefix of the tree
 * of size `newSize`, built from stored perfect subtrees. Empty when `oldSize` is 0 or equals `newSize`.
 */
export async function consistencyProof(oldSize: number, newSize: number, getNode: GetNode): Promise<Uint8Array[]> {
  if (!isTreeIndex(oldSize) || !isTreeIndex(newSize) || oldSize > newSize) {
    throw new AuditLogError('invalid_argument', `no consistency proof from size ${oldSize} to size ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const ranges = subproofRanges(oldSize, 0, newSize, true);
  return Promise.all(ranges.map(([start, end]) => subtreeHash(start, end, getNode)));
}

// RFC 9162 §2.1.4.1: SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])};
// for m < n, SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k, else
// SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
function subproofRanges(m: number, start: number, end: number, complete: boolean): [number, number][] {
  if (m === end - start) return complete ? [] : [[start, end]];
  const k = splitPoint(end - start);
  return m <= k
    ? [...subproofRanges(m, start, start + k, complete), [start + k, end]]
    : [...subproofRanges(m - k, start + k, end, false), [start, start + k]];
}

/**
 * Verifies a consistency proof exactly as RFC 9162 §2.1.4.2 specifies for `0 < oldSize < newSize`.
 * Equal sizes need an empty proof and equal roots; a size-0 tree (root `SHA-256()`) is a prefix
 * of every tree and needs an empty proof. Returns `false` for any malformed input.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isTreeIndex(oldSize) || !isTreeIndex(newSize) || oldSize > newSize) return false;
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE || proof.some((c) => c.length !== HASH_SIZE)) return false;
  if (oldSize === 0 && !equalBytes(oldRoot, emptyRoot())) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0;
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let fr = first;
  let sr = first;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of rest) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (fn % 2 === 1 || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr). Set sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
  return equalBytes(fr, oldRoot) && equalBytes(sr, newRoot) && sn === 0;
}
