import { AuditLogError } from './audit-log-error.ts';
import { frontierRoot } from './compact-range.ts';
import { HASH_SIZE } from './merkle-hash.ts';
import { isTreeIndex, largestPowerOfTwoAtMost } from './tree-arithmetic.ts';

/** Looks up a stored perfect subtree hash (see `TreeNode`): level `k`, index `j` covers `[j·2^k, (j+1)·2^k)`. */
export type GetNode = (level: number, index: number) => Promise<Uint8Array>;

/** The position of a perfect subtree in the log's Merkle tree. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * The perfect subtrees, left to right and largest first, that the RFC 9162 §2.1.1 tree over
 * leaves `[start, end)` is built from. Throws when a piece would not be aligned to its own size,
 * that is when the range is not one the log's stored perfect subtrees can rebuild.
 */
export function perfectSubtrees(start: number, end: number): NodeId[] {
  if (!isTreeIndex(start) || !isTreeIndex(end) || start >= end) {
    throw new AuditLogError('invalid_argument', `[${start}, ${end}) is not a non-empty leaf range`);
  }
  let width = largestPowerOfTwoAtMost(end - start);
  if (start % width !== 0) {
    throw new AuditLogError('invalid_argument', `[${start}, ${end}) is not made of stored subtrees`);
  }
  let level = 0;
  for (let w = width; w > 1; w /= 2) level += 1;
  const nodes: NodeId[] = [];
  for (let position = start; position < end; position += width) {
    while (position + width > end) {
      width /= 2;
      level -= 1;
    }
    nodes.push({ level, index: position / width });
  }
  return nodes;
}

/**
 * The Merkle Tree Hash of leaves `[start, end)`, from stored perfect subtree hashes. RFC 9162
 * §2.1.1 splits a tree at the largest power of two below its size, so the hash is its perfect
 * subtrees folded right to left, as for a frontier. Proofs need this on the right edge of a tree
 * whose size is not a power of two, where subtrees are not perfect and so are not stored.
 */
export async function subtreeHash(start: number, end: number, getNode: GetNode): Promise<Uint8Array> {
  const hashes = await Promise.all(perfectSubtrees(start, end).map(async ({ level, index }) => {
    const hash = await getNode(level, index);
    if (hash.length !== HASH_SIZE) {
      throw new AuditLogError('invalid_argument', `stored node (${level}, ${index}) is not a ${HASH_SIZE}-byte hash`);
    }
    return hash;
  }));
  return frontierRoot(hashes);
}
