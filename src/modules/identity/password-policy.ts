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

let blocklist: ReadonlySet<string> | undefined;

/** Common passwords (see scripts/build-password-blocklist.ts), gunzipped and loaded once on first use. */
export function commonPasswords(): ReadonlySet<string> {
  blocklist ??= new Set(gunzipSync(readFileSync(new URL('./data/common-passwords.txt.gz', import.meta.url))).toString('utf8').split('\n').filter(Boolean));
  return blocklist;
}

/** Whether a password is in the bundled list of common passwords (compared in blocklist form). */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(blocklistForm(password));
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
