// Shared by the Merkle tree tests: the RFC 6962 reference tree and an in-memory node store.
import { appendLeaf } from './compact-range.ts';
import { leafHash } from './merkle-hash.ts';
import { rootFromLeaves } from './root-from-leaves.ts';
import type { GetNode } from './subtree-hash.ts';

/** Bytes from hex. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Hex from bytes, so assertions compare readable strings. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A copy of `bytes` with byte `at` XOR-ed with `mask` (default: every bit of it). */
export function flipByte(bytes: Uint8Array, at: number, mask = 0xff): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ mask;
  return copy;
}

// The 8-leaf reference tree of the Certificate Transparency and Trillian test suites, as in
// github.com/transparency-dev/merkle proof/verify_test.go (`leaves`, `roots`, `inclusionProofs`,
// `consistencyProofs`; their leaf numbers there are 1-based, ours are 0-based indexes).
export const REFERENCE_LEAVES = [
  '', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f',
].map(fromHex);

/** `REFERENCE_ROOTS[n - 1]` is the root of the tree of the first `n` reference leaves. */
export const REFERENCE_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** A log held in memory: every stored perfect subtree, and the root of every prefix by direct computation. */
export interface MemoryLog {
  readonly leafHashes: Uint8Array[];
  /** `roots[n]` is `rootFromLeaves` of the first `n` leaves. */
  readonly roots: Uint8Array[];
  readonly getNode: GetNode;
  readonly nodeCount: number;
}

/** Appends every entry through `appendLeaf`, keeping the nodes it returns as the database would. */
export function memoryLog(entries: readonly Uint8Array[]): MemoryLog {
  const nodes = new Map<string, Uint8Array>();
  const leafHashes = entries.map((entry) => leafHash(entry));
  let frontier: Uint8Array[] = [];
  leafHashes.forEach((hash, size) => {
    const appended = appendLeaf(frontier, size, hash);
    frontier = appended.frontier;
    for (const node of appended.newNodes) nodes.set(`${node.level}/${node.index}`, node.hash);
  });
  const roots = Array.from({ length: leafHashes.length + 1 }, (_, n) => rootFromLeaves(leafHashes.slice(0, n)));
  const getNode: GetNode = async (level, index) => {
    const hash = nodes.get(`${level}/${index}`);
    if (hash === undefined) throw new Error(`no stored node (${level}, ${index})`);
    return hash;
  };
  return { leafHashes, roots, getNode, nodeCount: nodes.size };
}

/** `count` distinct entries, `entry-0`, `entry-1`, …. */
export function numberedEntries(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new TextEncoder().encode(`entry-${i}`));
}
