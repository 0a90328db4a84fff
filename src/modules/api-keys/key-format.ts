import { crc32 } from 'node:zlib';

/**
 * API key format (AUTH-7, docs/api-keys.md): `prk_<mode>_<id>_<secret><checksum>`.
 *
 * - `mode`: `live` or `test`;
 * - `id`: the key's UUID as 22 base62 characters (fixed width, leading zeros kept);
 * - `secret`: 32 random bytes (256 bits) as 43 base62 characters;
 * - `checksum`: CRC-32 (ISO-HDLC, as zlib computes it) of everything before it, as 6 base62 characters.
 *
 * The prefix and fixed widths let secret scanners match a key with one regular expression
 * (`API_KEY_PATTERN`) and the checksum lets them, and us, discard typos and random strings
 * without asking the database.
 */
export type KeyMode = 'live' | 'test';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGIT = new Map(Array.from({ length: ALPHABET.length }, (_, i) => [ALPHABET.charAt(i), BigInt(i)]));

export const ID_LENGTH = 22;
export const SECRET_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
/** Every key has this many characters: `prk_` + mode (4) + `_` + id + `_` + secret + checksum. */
export const API_KEY_LENGTH = 4 + 4 + 1 + ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;

/** One expression for scanners: the whole key, always 81 characters. */
export const API_KEY_PATTERN = /\bprk_(?:live|test)_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}\b/;

const EXACT = /^prk_(live|test)_([0-9A-Za-z]{22})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

/** Base62 of a big-endian byte string, left-padded with `0` to `width` characters. */
export function base62(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  let out = '';
  while (n > 0n) {
    out = ALPHABET.charAt(Number(n % 62n)) + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError(`value does not fit in ${width} base62 characters`);
  return out.padStart(width, '0');
}

/** The big-endian bytes (exactly `length`) of a base62 string; undefined when it does not fit. */
export function fromBase62(text: string, length: number): Buffer | undefined {
  let n = 0n;
  for (const c of text) {
    const digit = DIGIT.get(c);
    if (digit === undefined) return undefined;
    n = n * 62n + digit;
  }
  if (n >> BigInt(8 * length) !== 0n) return undefined;
  const out = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** The checksum of a key body: CRC-32 of its UTF-8 bytes, 6 base62 characters. */
export function keyChecksum(body: string): string {
  // A CRC-32 is below 2^32 and 62^6 > 2^32: plain numbers suffice (this runs on every request).
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET.charAt(n % 62) + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The public part of a key, shown in listings and safe to log: `prk_live_<id>`. */
export function keyPrefix(mode: KeyMode, id: string): string {
  return `prk_${mode}_${base62(uuidBytes(id), ID_LENGTH)}`;
}

/** A full key from its parts; `secret` must be 32 bytes. */
export function formatApiKey(mode: KeyMode, id: string, secret: Uint8Array): string {
  if (secret.length !== 32) throw new RangeError('an API key secret is 32 bytes');
  const body = `${keyPrefix(mode, id)}_${base62(secret, SECRET_LENGTH)}`;
  return body + keyChecksum(body);
}

/** What a well-formed key names. */
export interface ParsedApiKey {
  readonly mode: KeyMode;
  /** The key's UUID (lower case). */
  readonly id: string;
}

/**
 * Whether a presented string has a key's shape, alphabet, widths and checksum. Anything that fails
 * is not a key we issued, and is refused without a database lookup.
 */
export function isWellFormedKey(text: string): boolean {
  return EXACT.test(text) && keyChecksum(text.slice(0, text.length - CHECKSUM_LENGTH)) === text.slice(text.length - CHECKSUM_LENGTH);
}

/** A well-formed key's mode and id; undefined for anything `isWellFormedKey` refuses. */
export function parseApiKey(text: string): ParsedApiKey | undefined {
  if (!isWellFormedKey(text)) return undefined;
  const match = EXACT.exec(text);
  const mode = match?.[1];
  const idText = match?.[2];
  if (mode === undefined || idText === undefined) return undefined;
  const id = fromBase62(idText, 16);
  if (id === undefined) return undefined;
  return { mode: mode as KeyMode, id: uuidText(id) };
}

/**
 * The HMAC signing secret given to keys that sign their requests (AUTH-8): `prs_<secret><checksum>`,
 * 32 random bytes as 43 base62 characters and the same CRC-32 checksum, matched by
 * `SIGNING_SECRET_PATTERN`.
 */
export function formatSigningSecret(secret: Uint8Array): string {
  if (secret.length !== 32) throw new RangeError('a signing secret is 32 bytes');
  const body = `prs_${base62(secret, SECRET_LENGTH)}`;
  return body + keyChecksum(body);
}

export const SIGNING_SECRET_PATTERN = /\bprs_[0-9A-Za-z]{49}\b/;
