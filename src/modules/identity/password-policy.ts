import { readFileSync } from 'node:fs';
import { AppError } from '../../platform/http/errors.ts';

/** The longest accepted password, in characters and (so hashing cost stays bounded) in bytes. */
export const PASSWORD_MAX_LENGTH = 128;
const PASSWORD_MAX_BYTES = PASSWORD_MAX_LENGTH * 4;

/** Length in Unicode code points, the unit NIST SP 800-63B counts characters in. */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}

let blocklist: ReadonlySet<string> | undefined;

/** Common passwords (see scripts/build-password-blocklist.ts), loaded once on first use. */
function commonPasswords(): ReadonlySet<string> {
  blocklist ??= new Set(readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean));
  return blocklist;
}

/**
 * Checks a new password per NIST SP 800-63B §3.1.1.2 / OWASP ASVS V6.2: a minimum length in
 * characters (Unicode code points), a maximum of 128, no composition rules, and refusal of
 * commonly used passwords. Throws `password_too_short`, `password_too_long` or `password_too_common`.
 */
export function checkNewPassword(password: string, minLength: number): void {
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) throw new AppError('password_too_long', { detail: `At most ${PASSWORD_MAX_LENGTH} characters.` });
  const length = codePointLength(password);
  if (length < minLength) throw new AppError('password_too_short', { detail: `At least ${minLength} characters.` });
  if (length > PASSWORD_MAX_LENGTH) throw new AppError('password_too_long', { detail: `At most ${PASSWORD_MAX_LENGTH} characters.` });
  if (commonPasswords().has(password.normalize('NFKC').toLowerCase())) {
    throw new AppError('password_too_common', { detail: 'This password appears in lists of commonly used passwords; choose another.' });
  }
}

/** Whether a password presented at login is too long to be worth hashing (refused unhashed). */
export function isOverlongPassword(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES || codePointLength(password) > PASSWORD_MAX_LENGTH;
}
