import { AuditLogError } from './audit-log-error.ts';
import { emptyRoot, HASH_SIZE, nodeHash } from './merkle-hash.ts';
import { countOnes, half, isTreeIndex } from './tree-arithmetic.ts';

/**
 * A perfect subtree of the log: level `k`, index `j` covers leaves `[j·2^k, (j+1)·2^k)`; level 0
 * is the leaf hash itself. Once complete, a perfect subtree never changes, so it can be stored.
 */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/** What appending one leaf produced: the new frontier and every perfect subtree it completed. */
export interface AppendResult {
  readonly frontier: Uint8Array[];
  readonly newNodes: TreeNode[];
}

/**
 * Appends a leaf to a compact range. The frontier of a tree of size `n` holds the roots of its
 * perfect subtrees from left to right, one per set bit of `n`, largest first. The new leaf merges
 * with every frontier entry it completes a pair with, like a carry in binary addition; each merge
 * is a new perfect subtree, returned in `newNodes` (the leaf first, then upwards) for storage.
 */
export function appendLeaf(frontier: readonly Uint8Array[], size: number, leafHash: Uint8Array): AppendResult {
  if (!isTreeIndex(size) || !isTreeIndex(size + 1)) {
    throw new AuditLogError('invalid_argument', `tree size ${size} is not a non-negative safe integer`);
  }
  // A frontier of the wrong length would silently yield a wrong root for every later checkpoint.
  if (frontier.length !== countOnes(size)) {
    throw new AuditLogError('invalid_argument', `a frontier for tree size ${size} has ${countOnes(size)} entries, not ${frontier.length}`);
  }
  if (leafHash.length !== HASH_SIZE || frontier.some((hash) => hash.length !== HASH_SIZE)) {
    throw new AuditLogError('invalid_argument', `leaf and frontier hashes must be ${HASH_SIZE} bytes`);
  }

  const next = [...frontier];
  const newNodes: TreeNode[] = [{ level: 0, index: size, hash: leafHash }];
  let hash = leafHash;
  let level = 0;
  let index = size;
  // Each trailing one bit of `size` is a perfect subtree of the current height waiting for a sibling.
  for (let carry = size; carry % 2 === 1; carry = half(carry)) {
    const left = next.pop();
    if (left === undefined) throw new AuditLogError('invalid_argument', 'frontier ended early');
    hash = nodeHash(left, hash);
    level += 1;
    index = half(index);
    newNodes.push({ level, index, hash });
  }
  next.push(hash);
  return { frontier: next, newNodes };
}

/**
 * The Merkle Tree Hash (RFC 9162 §2.1.1) of the tree a frontier describes: the perfect subtrees
 * folded right to left, `H(f0 || H(f1 || … H(f(m-2) || f(m-1))))`, because the RFC splits every
 * tree at the largest power of two below its size.
 */
export function frontierRoot(frontier: readonly Uint8Array[]): Uint8Array {
  let root = frontier.at(-1);
  if (root === undefined) return emptyRoot();
  for (let i = frontier.length - 2; i >= 0; i -= 1) {
    const left = frontier[i];
    if (left === undefined) throw new AuditLogError('invalid_argument', `frontier has no entry ${i}`);
    root = nodeHash(left, root);
  }
  return root;
}
