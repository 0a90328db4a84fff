import { AuditLogError } from './audit-log-error.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { ED25519_SIGNATURE_TYPE, ed25519KeyId, verifierFromPublicKey } from './ed25519-note-key.ts';
import { isValidKeyName, type NoteVerifier } from './note-key.ts';

/**
 * The verifier key string of golang.org/x/mod/sumdb/note, `<name>+<key ID hex>+<base64(0x01 ||
 * public key)>`: one line a customer keeps to verify checkpoints offline.
 */
export function verifierKeyString(name: string, publicKey: Uint8Array): string {
  const verifier = verifierFromPublicKey(name, publicKey);
  return `${verifier.name}+${verifier.keyId}+${encodeBase64(Uint8Array.of(ED25519_SIGNATURE_TYPE, ...verifier.publicKey))}`;
}

/** Parses a verifier key string; refuses anything malformed, a key type other than Ed25519, or a wrong key ID. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // The name cannot contain "+" and the base64 key can, so only the first two "+" separate.
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  const name = vkey.slice(0, first);
  const keyId = vkey.slice(first + 1, second);
  const key = decodeBase64(vkey.slice(second + 1));
  if (second < 0 || !isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(keyId) || key === undefined) {
    throw new AuditLogError('malformed_key', 'a verifier key is <name>+<8 hex digits>+<base64 key>');
  }
  if (key.length !== 33 || key[0] !== ED25519_SIGNATURE_TYPE) {
    throw new AuditLogError('malformed_key', 'the verifier key is not a 32-byte Ed25519 key');
  }
  const publicKey = key.subarray(1);
  // The key ID is derived from the name and key; a mismatch means the string was altered.
  if (ed25519KeyId(name, publicKey) !== keyId) {
    throw new AuditLogError('malformed_key', 'the verifier key ID does not match its name and key');
  }
  return verifierFromPublicKey(name, publicKey);
}
