import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { AuditLogError } from './audit-log-error.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { isValidKeyName, type NoteSigner, type NoteVerifier } from './note-key.ts';

/** C2SP tlog-cosignature: the signature type byte of Ed25519 cosignatures (cosignature/v1). */
export const COSIGNATURE_V1_TYPE = 0x04;

const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** "SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 cosigner public key)[:4]" */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): string {
  return createHash('sha256').update(name, 'utf8').update(Uint8Array.of(0x0a, COSIGNATURE_V1_TYPE)).update(publicKey).digest().subarray(0, 4).toString('hex');
}

/**
 * The cosignature/v1 signed message: "two newline (U+000A) terminated lines (one header line and
 * one timestamp line) followed by the whole note body of the cosigned checkpoint".
 */
function cosignedMessage(time: bigint, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${time.toString()}\n`, 'utf8'), body]);
}

/**
 * A cosigner (a witness) for cosignature/v1 at `time` (POSIX seconds): its `sign` returns the
 * `timestamped_signature` (u64 big-endian timestamp || Ed25519 signature), ready for a note line.
 */
export function cosignerFromSeed(name: string, seed: Uint8Array, time: number): NoteSigner {
  if (!isValidKeyName(name)) throw new AuditLogError('invalid_argument', 'a key name must be non-empty, without Unicode spaces or "+"');
  if (seed.length !== 32) throw new AuditLogError('invalid_argument', 'an Ed25519 seed is 32 bytes');
  if (!Number.isSafeInteger(time) || time < 0) throw new AuditLogError('invalid_argument', 'a cosignature time is a non-negative POSIX timestamp');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = Uint8Array.from(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(time));
  return Object.freeze({
    name,
    keyId: cosignatureKeyId(name, publicKey),
    publicKey,
    sign: (body: Uint8Array) => Uint8Array.from(Buffer.concat([timestamp, sign(null, cosignedMessage(BigInt(time), body), privateKey)])),
  });
}

/** A note verifier for a cosigner's cosignature/v1 signatures (the note body is the checkpoint). */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (!isValidKeyName(name) || publicKey.length !== 32) throw new AuditLogError('invalid_argument', 'a cosigner key is a valid name and a 32-byte Ed25519 key');
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return Object.freeze({
    name,
    keyId: cosignatureKeyId(name, publicKey),
    publicKey: Uint8Array.from(publicKey),
    verify: (body: Uint8Array, signature: Uint8Array) => {
      if (signature.length !== 72) return false;
      const time = Buffer.from(signature.subarray(0, 8)).readBigUInt64BE();
      // "It MUST NOT exceed 2^63 - 1"
      if (time > 0x7fffffffffffffffn) return false;
      return verify(null, cosignedMessage(time, body), key, signature.subarray(8));
    },
  });
}

/** The vkey of a cosigner: `<name>+<key ID>+base64(0x04 || public key)` (C2SP signed-note verifier keys). */
export function cosignerKeyString(name: string, publicKey: Uint8Array): string {
  return `${name}+${cosignatureKeyId(name, publicKey)}+${encodeBase64(Uint8Array.of(COSIGNATURE_V1_TYPE, ...publicKey))}`;
}

/** Parses a cosigner vkey (type 0x04); refuses any other type or a key ID that does not match. */
export function parseCosignerKey(vkey: string): NoteVerifier {
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  const name = vkey.slice(0, first);
  const key = decodeBase64(vkey.slice(second + 1));
  if (second < 0 || !isValidKeyName(name) || key?.length !== 33 || key[0] !== COSIGNATURE_V1_TYPE) {
    throw new AuditLogError('malformed_key', 'a witness key is <name>+<8 hex digits>+<base64 of 0x04 and a 32-byte Ed25519 key>');
  }
  const verifier = cosignatureVerifier(name, key.subarray(1));
  if (verifier.keyId !== vkey.slice(first + 1, second)) throw new AuditLogError('malformed_key', 'the witness key ID does not match its name and key');
  return verifier;
}
