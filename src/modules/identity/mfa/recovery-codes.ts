import { createHash } from 'node:crypto';
import type { Random } from '../../../platform/crypto/random.ts';

/** How many recovery codes a user holds at once. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32 alphabet: no I, L, O, U, so codes survive being read aloud or copied by hand.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A recovery code: 16 symbols of 5 bits (80 random bits), shown as four groups of four
 * (`7K3M-Q9ZD-…`). NIST SP 800-63B §5.1.2.1 asks look-up secrets for at least 64 bits from an
 * approved random generator when they may be stored with a fast hash, as here.
 */
export function newRecoveryCode(random: Random): string {
  const bytes = random(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let symbols = '';
  for (let i = 15; i >= 0; i--) symbols += ALPHABET.charAt(Number((bits >> BigInt(i * 5)) & 31n));
  return symbols.match(/.{4}/g)?.join('-') ?? symbols;
}

/** The canonical form of a typed code: upper case, separators dropped, Crockford's look-alikes mapped. */
export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** Whether a typed string could be a recovery code (before any database work). */
export function looksLikeRecoveryCode(code: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(normalizeRecoveryCode(code));
}

/** SHA-256 of the canonical form: the codes are random, so no salt or slow hash is needed. */
export function hashRecoveryCode(code: string): Buffer {
  return createHash('sha256').update(normalizeRecoveryCode(code)).digest();
}
