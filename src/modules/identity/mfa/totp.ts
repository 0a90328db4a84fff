import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 6238 parameters Parapet uses: the defaults every authenticator app supports. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Accepted clock drift in time steps either side (RFC 6238 §5.2 recommends at most one). */
export const TOTP_WINDOW = 1;
/** Seed length: RFC 4226 §4 R6 recommends 160 bits. */
export const TOTP_SECRET_BYTES = 20;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (the form otpauth URIs carry). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((buffer >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/** Decodes RFC 4648 base32 (case-insensitive, padding and spaces ignored); throws on other characters. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error('not base32');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * HOTP (RFC 4226 §5.3): HMAC over the 8-byte big-endian counter, dynamic truncation, modulo
 * 10^digits. `algorithm` is SHA-1 for HOTP; RFC 6238 also allows SHA-256 and SHA-512.
 */
export function hotp(key: Uint8Array, counter: bigint, digits = TOTP_DIGITS, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, key).update(message).digest();
  // "the 4 least significant bits of the last byte" select the offset (RFC 4226 §5.4).
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

/** The RFC 6238 time step of an instant: floor((unix time − T0) / X), T0 = 0. */
export function timeStep(now: Date, period = TOTP_PERIOD_SECONDS): bigint {
  return BigInt(Math.floor(now.getTime() / 1000 / period));
}

/** TOTP (RFC 6238 §4.2): HOTP with the time step as counter. */
export function totp(key: Uint8Array, now: Date, options: { digits?: number; period?: number; algorithm?: 'sha1' | 'sha256' | 'sha512' } = {}): string {
  return hotp(key, timeStep(now, options.period), options.digits, options.algorithm);
}

/**
 * The time step at which `code` is valid for `key`, within ±`TOTP_WINDOW` steps of `now`, and
 * strictly after `lastUsedStep` (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt
 * of the OTP after the successful validation has been issued for the first OTP"). Undefined if
 * none. Every candidate is compared in constant time.
 */
export function matchTotp(key: Uint8Array, code: string, now: Date, lastUsedStep: bigint | null): bigint | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const presented = Buffer.from(code);
  const current = timeStep(now);
  let matched: bigint | undefined;
  for (let delta = -TOTP_WINDOW; delta <= TOTP_WINDOW; delta++) {
    const step = current + BigInt(delta);
    const equal = timingSafeEqual(Buffer.from(hotp(key, step)), presented);
    if (equal && matched === undefined && (lastUsedStep === null || step > lastUsedStep)) matched = step;
  }
  return matched;
}

/** The `otpauth://totp/…` provisioning URI authenticator apps scan as a QR code (Key Uri Format). */
export function provisioningUri(input: { secret: string; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const params = new URLSearchParams({ secret: input.secret, issuer: input.issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_PERIOD_SECONDS) });
  return `otpauth://totp/${label}?${params.toString()}`;
}
