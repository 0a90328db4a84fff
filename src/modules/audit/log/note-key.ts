/** Signs note text with one key (C2SP signed-note). */
export interface NoteSigner {
  /** The key name written on the signature line. */
  readonly name: string;
  /** The 4-byte key ID as 8 lowercase hex digits. */
  readonly keyId: string;
  /** The raw public key. */
  readonly publicKey: Uint8Array;
  /** Signs the exact bytes of the note text. */
  sign(message: Uint8Array): Uint8Array;
}

/** Verifies note signatures made by one known key (C2SP signed-note). */
export interface NoteVerifier {
  readonly name: string;
  /** The 4-byte key ID as 8 lowercase hex digits. */
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  /** Whether `signature` is this key's signature over exactly `message`. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

// Go's unicode.IsSpace, which the reference implementation (golang.org/x/mod/sumdb/note) uses:
// the White_Space property. JavaScript's \s differs (it adds U+FEFF and omits U+0085).
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** C2SP signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B) characters." */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !UNICODE_SPACE.test(name) && !name.includes('+');
}
