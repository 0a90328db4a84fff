import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';

/** Randomness, injected so tests can make it deterministic. */
export type Random = (bytes: number) => Buffer;

export const systemRandom: Random = (bytes) => randomBytes(bytes);

/**
 * A UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds then random bits, so ids sort by creation
 * time and serve as stable pagination cursors.
 */
export function uuidv7(clock: Clock, random: Random): string {
  const bytes = random(16);
  const ms = BigInt(clock.now().getTime());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An opaque bearer secret: 256 random bits, base64url (43 characters). */
export function newSecretToken(random: Random): string {
  return random(32).toString('base64url');
}

/**
 * The stored form of a bearer secret. Secrets are looked up by this digest, so no comparison
 * ever runs over the secret itself and a database leak does not reveal usable tokens.
 */
export function digestToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time equality of two digests (equal length by construction). */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
