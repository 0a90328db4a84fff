import { AuditLogError } from './audit-log-error.ts';
import { equalBytes } from './equal-bytes.ts';
import { HASH_SIZE, nodeHash } from './merkle-hash.ts';
import { subtreeHash, type GetNode } from './subtree-hash.ts';
import { half, isTreeIndex, splitPoint } from './tree-arithmetic.ts';

/**
 * The audit path (RFC 9162 §2.1.3.1) for leaf `index` in the tree of size `size`, leaf to root,
 * built from stored perfect subtrees. Siblings on the right edge of a tree whose size is not a
 * power of two are not perfect; their hashes are folded from the perfect subtrees they contain.
 */
export async function inclusionProof(index: number, size: number, getNode: GetNode): Promise<Uint8Array[]> {
  if (!isTreeIndex(index) || !isTreeIndex(size) || index >= size) {
    throw new AuditLogError('invalid_argument', `leaf ${index} is not in a tree of size ${size}`);
  }
  return Promise.all(siblingRanges(index, 0, size).map(([start, end]) => subtreeHash(start, end, getNode)));
}

// RFC 9162 §2.1.3.1: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, and
// PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k; PATH(0, {d0}) = {}.
function siblingRanges(index: number, start: number, end: number): [number, number][] {
  if (end - start === 1) return [];
  const middle = start + splitPoint(end - start);
  return index < middle
    ? [...siblingRanges(index, start, middle), [middle, end]]
    : [...siblingRanges(index, middle, end), [start, middle]];
}

/**
 * Verifies an audit path exactly as RFC 9162 §2.1.3.2 specifies. Returns `false` for any
 * malformed input instead of throwing. The tree size is only as trustworthy as the root it is
 * checked against: take both from the same verified checkpoint.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeIndex(index) || !isTreeIndex(size)) return false;
  if (leafHash.length !== HASH_SIZE || root.length !== HASH_SIZE || path.some((p) => p.length !== HASH_SIZE)) return false;
  // 1. Compare leaf_index against tree_size. If leaf_index is greater than or equal to tree_size, fail.
  if (index >= size) return false;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index;
  let sn = size - 1;
  // 3. Set r to hash.
  let r = leafHash;
  // 4. For each value p in the inclusion_path array:
  for (const p of path) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (fn % 2 === 1 || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the
  //    root_hash are equal, then the log has proven the inclusion of hash.
  return sn === 0 && equalBytes(r, root);
}
