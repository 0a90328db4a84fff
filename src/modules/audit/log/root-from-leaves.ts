import { AuditLogError } from './audit-log-error.ts';
import { emptyRoot, nodeHash } from './merkle-hash.ts';
import { splitPoint } from './tree-arithmetic.ts';

/**
 * The Merkle Tree Hash of a list of leaf hashes, computed straight from the recursive definition
 * in RFC 9162 §2.1.1: `MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))` with `k` the largest
 * power of two smaller than `n`. Linear in the number of leaves; verifiers of a full export use it.
 */
export function rootFromLeaves(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return emptyRoot();
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) {
    const leaf = leafHashes[start];
    if (leaf === undefined) throw new AuditLogError('invalid_argument', `no leaf hash at index ${start}`);
    return leaf;
  }
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leafHashes, start, start + k), subtreeRoot(leafHashes, start + k, end));
}
