import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../platform/http/errors.ts';
import { DEFAULT_PASSWORD_MIN_SCORE, estimatePasswordStrength } from './password-strength.ts';

/** The longest accepted password, in characters and (so hashing cost stays bounded) in bytes. */
export const PASSWORD_MAX_LENGTH = 128;
const PASSWORD_MAX_BYTES = PASSWORD_MAX_LENGTH * 4;

/** What a new password must meet: `passwordMinLength` and `passwordMinScore` from the config. */
export interface PasswordRules {
  readonly minLength: number;
  /** zxcvbn score (0–4) a new password needs; 0 turns the strength rule off. */
  readonly minScore: number;
}

/** Length in Unicode code points, the unit NIST SP 800-63B counts characters in. */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}

/** The form blocklist entries are stored in: NFKC-normalized and lower-cased. */
export function blocklistForm(password: string): string {
  return password.normalize('NFKC').toLowerCase();
}

/**
 * The blocklist held as a sorted array of 64-bit fingerprints (the first 8 bytes of each entry's
 * SHA-256): ~1 MB for 122 k entries where a Set of strings held ~12 MB. Two different passwords
 * share a fingerprint with probability ~2^-64 per pair, so a false "too common" is negligible
 * (122 k × 2^-64 ≈ 7 × 10^-15 per check) and a listed password is never missed.
 */
let blocklist: BigUint64Array | undefined;

function fingerprint(entry: string | Uint8Array): bigint {
  return hash('sha256', entry, 'buffer').readBigUInt64BE(0);
}

/** Common passwords (see scripts/build-password-blocklist.ts), gunzipped, fingerprinted and sorted once, on first use. */
export function commonPasswords(): BigUint64Array {
  if (blocklist !== undefined) return blocklist;
  // Entries are hashed as the UTF-8 bytes of the file, without making a string of each: the
  // list is stored in blocklist form already, so the bytes are those of `blocklistForm(entry)`.
  const text = gunzipSync(readFileSync(new URL('./data/common-passwords.txt.gz', import.meta.url)));
  const prints = new BigUint64Array(text.length >>> 3);
  let count = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(0x0a, start);
    if (end === -1) end = text.length;
    if (end > start) prints[count++] = fingerprint(text.subarray(start, end));
    start = end + 1;
  }
  blocklist = prints.slice(0, count).sort();
  return blocklist;
}

/** Whether a password is in the bundled list of common passwords (compared in blocklist form). */
export function isCommonPassword(password: string): boolean {
  const prints = commonPasswords();
  const wanted = fingerprint(blocklistForm(password));
  let low = 0;
  let high = prints.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = prints[middle] ?? 0n;
    if (value === wanted) return true;
    if (value < wanted) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/**
 * Checks a new password per NIST SP 800-63B §3.1.1.2 / OWASP ASVS V6.2: a minimum length in
 * characters (Unicode code points), a maximum of 128, no composition rules, refusal of commonly
 * used passwords, and (AUTH-1) a zxcvbn strength score of at least `minScore`, with the user's own
 * email and name counted as known words. Throws `password_too_short`, `password_too_long`,
 * `password_too_common` or `password_too_weak` (whose detail carries zxcvbn's advice).
 * A bare number is the minimum length, with the default minimum score.
 */
export function checkNewPassword(password: string, rules: number | PasswordRules, userInputs: readonly string[] = []): void {
  const { minLength, minScore } = typeof rules === 'number' ? { minLength: rules, minScore: DEFAULT_PASSWORD_MIN_SCORE } : rules;
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) throw new AppError('password_too_long', { detail: `At most ${PASSWORD_MAX_LENGTH} characters.` });
  const length = codePointLength(password);
  if (length < minLength) throw new AppError('password_too_short', { detail: `At least ${minLength} characters.` });
  if (length > PASSWORD_MAX_LENGTH) throw new AppError('password_too_long', { detail: `At most ${PASSWORD_MAX_LENGTH} characters.` });
  if (isCommonPassword(password)) {
    throw new AppError('password_too_common', { detail: 'This password appears in lists of commonly used passwords; choose another.' });
  }
  if (minScore > 0) {
    const strength = estimatePasswordStrength(password, userInputs);
    if (strength.score < minScore) {
      const advice = [strength.warning, ...strength.suggestions].filter((text) => text !== null && text !== '').join(' ');
      throw new AppError('password_too_weak', { detail: `This password is too easy to guess (strength ${strength.score} of 4, at least ${minScore} needed).${advice === '' ? '' : ` ${advice}`}` });
    }
  }
}

/** Whether a password presented at login is too long to be worth hashing (refused unhashed). */
export function isOverlongPassword(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES || codePointLength(password) > PASSWORD_MAX_LENGTH;
}
