import { createHash, hash } from 'node:crypto';

/** Size in bytes of every hash in the log's Merkle tree (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 9162 §2.1.1: the hash of a leaf is `SHA-256(0x00 || entry)`. */
export function leafHash(entry: Uint8Array): Uint8Array {
  // One-shot hashing of a prefixed copy: cheaper than a streaming Hash object for small entries.
  const input = Buffer.allocUnsafe(entry.length + 1);
  input[0] = LEAF_PREFIX[0] ?? 0;
  input.set(entry, 1);
  return hash('sha256', input, 'buffer');
}

/**
 * RFC 9162 §2.1.1: an interior node is `SHA-256(0x01 || left || right)`. The distinct prefixes
 * keep a node from ever being passed off as a leaf (second-preimage resistance, RFC 9162 §2.1.1).
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = NODE_PREFIX[0] ?? 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash('sha256', input, 'buffer');
}

/** RFC 9162 §2.1.1: the root of the empty tree is the hash of the empty string, `SHA-256()`. */
export function emptyRoot(): Uint8Array {
  return createHash('sha256').digest();
}
