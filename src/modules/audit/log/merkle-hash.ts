import { createHash } from 'node:crypto';

/** Size in bytes of every hash in the log's Merkle tree (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 9162 §2.1.1: the hash of a leaf is `SHA-256(0x00 || entry)`. */
export function leafHash(entry: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/**
 * RFC 9162 §2.1.1: an interior node is `SHA-256(0x01 || left || right)`. The distinct prefixes
 * keep a node from ever being passed off as a leaf (second-preimage resistance, RFC 9162 §2.1.1).
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 9162 §2.1.1: the root of the empty tree is the hash of the empty string, `SHA-256()`. */
export function emptyRoot(): Uint8Array {
  return createHash('sha256').digest();
}
