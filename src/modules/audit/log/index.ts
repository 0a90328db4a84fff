// The tamper-evident audit log's pure cryptography: RFC 8785 leaves, the RFC 9162 Merkle tree
// with its proofs, and C2SP checkpoints signed as C2SP signed notes. No I/O beyond `getNode`.
export { AuditLogError, type AuditLogErrorCode } from './audit-log-error.ts';
export { canonicalJson } from './canonical-json.ts';
export { emptyRoot, HASH_SIZE, leafHash, nodeHash } from './merkle-hash.ts';
export { rootFromLeaves } from './root-from-leaves.ts';
export { appendLeaf, frontierRoot, type AppendResult, type TreeNode } from './compact-range.ts';
export { perfectSubtrees, subtreeHash, type GetNode, type NodeId } from './subtree-hash.ts';
export { inclusionProof, verifyInclusion } from './inclusion-proof.ts';
export { consistencyProof, verifyConsistency } from './consistency-proof.ts';
export { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
export { addSignature, openNote, signNote, type OpenedNote } from './signed-note.ts';
export { cosignatureVerifier, cosignerFromSeed, cosignerKeyString, parseCosignerKey } from './cosignature.ts';
export { isValidKeyName, type NoteSigner, type NoteVerifier } from './note-key.ts';
export { ed25519KeyId, ed25519SignerFromSeed, verifierFromPublicKey } from './ed25519-note-key.ts';
export { parseVerifierKey, verifierKeyString } from './verifier-key.ts';
export { decodeBase64, encodeBase64 } from './base64.ts';
