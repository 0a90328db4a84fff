import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { AuditLogError } from './audit-log-error.ts';
import { isValidKeyName, type NoteSigner, type NoteVerifier } from './note-key.ts';

/** C2SP signed-note signature type identifier byte for Ed25519. */
export const ED25519_SIGNATURE_TYPE = 0x01;

// DER prefixes that wrap a raw 32-byte Ed25519 seed (RFC 8410 §7, PKCS #8) or public key (RFC 8410 §4, SPKI).
const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * C2SP signed-note Ed25519 key ID: the first four bytes of
 * `SHA-256(key name || 0x0A || 0x01 || 32-byte public key)`, as 8 hex digits.
 */
export function ed25519KeyId(name: string, publicKey: Uint8Array): string {
  const digest = createHash('sha256')
    .update(name, 'utf8')
    .update(Uint8Array.of(0x0a, ED25519_SIGNATURE_TYPE))
    .update(publicKey)
    .digest();
  return digest.subarray(0, 4).toString('hex');
}

/** A note signer for the Ed25519 key with the given 32-byte seed (RFC 8032 §5.1.5 private key). */
export function ed25519SignerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  assertKeyName(name);
  if (seed.length !== 32) throw new AuditLogError('invalid_argument', 'an Ed25519 seed is 32 bytes');
  const der = Buffer.concat([PKCS8_SEED_PREFIX, seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  // The seed now lives only inside the KeyObject; do not leave a copy behind for the GC.
  der.fill(0);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = Uint8Array.from(spki.subarray(SPKI_PREFIX.length));
  return Object.freeze({
    name,
    keyId: ed25519KeyId(name, publicKey),
    publicKey,
    // RFC 8032 pure Ed25519: node:crypto takes no digest (null) for Ed25519 keys.
    sign: (message: Uint8Array) => Uint8Array.from(sign(null, message, privateKey)),
  });
}

/** A note verifier for the named Ed25519 public key (32 raw bytes, RFC 8032 §5.1.5). */
export function verifierFromPublicKey(name: string, publicKey: Uint8Array): NoteVerifier {
  assertKeyName(name);
  if (publicKey.length !== 32) throw new AuditLogError('invalid_argument', 'an Ed25519 public key is 32 bytes');
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  const raw = Uint8Array.from(publicKey);
  return Object.freeze({
    name,
    keyId: ed25519KeyId(name, raw),
    publicKey: raw,
    verify: (message: Uint8Array, signature: Uint8Array) => verify(null, message, key, signature),
  });
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new AuditLogError('invalid_argument', 'a key name must be non-empty, without Unicode spaces or "+"');
  }
}
