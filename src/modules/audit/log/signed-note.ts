import { AuditLogError } from './audit-log-error.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { isValidKeyName, type NoteSigner, type NoteVerifier } from './note-key.ts';

/** A note whose signatures have been checked: its text, and the known keys that signed it. */
export interface OpenedNote {
  readonly body: string;
  /** Names of the known keys whose signatures verified, in the order they appear. */
  readonly verifiedBy: string[];
}

// golang.org/x/mod/sumdb/note refuses notes with more than 100 signatures; C2SP signed-note
// says verifiers SHOULD cap the count and MUST accept at least 16.
const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';
// C2SP signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control
// characters (those below U+0020) other than newline."
const CONTROL_CHARACTER = /[\u0000-\u0009\u000b-\u001f]/;

/**
 * Signs note text as a C2SP signed note: the text (which must end in a newline), a blank line,
 * and the line `— <key name> base64(key ID || signature over the text bytes)`.
 */
export function signNote(body: string, signer: NoteSigner): string {
  if (!isNoteText(body) || !body.endsWith('\n')) {
    throw new AuditLogError('invalid_argument', 'note text must be well-formed, end in a newline, and hold no control characters but newline');
  }
  if (!isValidKeyName(signer.name) || !/^[0-9a-f]{8}$/.test(signer.keyId)) {
    throw new AuditLogError('invalid_argument', 'the signer has an invalid key name or key ID');
  }
  const signature = signer.sign(new TextEncoder().encode(body));
  const encoded = encodeBase64(Buffer.concat([Buffer.from(signer.keyId, 'hex'), signature]));
  return `${body}\n${SIGNATURE_PREFIX}${signer.name} ${encoded}\n`;
}

/** Adds one more signature line (a cosignature) to a signed note, over the note's text. */
export function addSignature(note: string, signer: NoteSigner): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw malformed('it has no signature block');
  const body = note.slice(0, split + 1);
  const signature = signer.sign(new TextEncoder().encode(body));
  return `${note}${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(Buffer.concat([Buffer.from(signer.keyId, 'hex'), signature]))}\n`;
}

/**
 * Opens a C2SP signed note. Signatures from unknown keys are ignored, as the spec requires; a
 * signature from a known key that fails to verify refuses the whole note; and a note that no known
 * key signed is refused, because its text MUST be ignored.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const text = decodeNote(note);
  // "the text is separated from the signatures by the last empty line in the note"
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) throw malformed('it has no signature block');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`it has more than ${MAX_SIGNATURES} signatures`);

  const signatures = lines.map(parseSignatureLine);
  const message = new TextEncoder().encode(body);
  const verifiedBy: string[] = [];
  const verifiedKeys = new Set<string>();
  for (const { name, keyId, signature } of signatures) {
    const known = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    // "Verifiers MUST ignore signatures from unknown keys, even if they share a name or ID (but not both) with a known key."
    const verifier = known[0];
    if (verifier === undefined) continue;
    if (known.length > 1) throw new AuditLogError('ambiguous_key', `more than one known key is ${name}+${keyId}`);
    // "If a signature from a known key fails to verify, clients SHOULD reject the whole note."
    // Every one is checked, even a key's second signature, which the Go implementation skips.
    if (!verifier.verify(message, signature)) {
      throw new AuditLogError('invalid_signature', `the signature by ${name}+${keyId} does not verify`);
    }
    if (verifiedKeys.has(`${name}+${keyId}`)) continue;
    verifiedKeys.add(`${name}+${keyId}`);
    verifiedBy.push(name);
  }
  // "If no signature from a known key verifies successfully, clients MUST reject the note."
  if (verifiedBy.length === 0) throw new AuditLogError('unverified_note', 'no known key signed the note');
  return { body, verifiedBy };
}

function decodeNote(note: string | Uint8Array): string {
  let text: string;
  if (typeof note === 'string') {
    text = note;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note);
    } catch (error) {
      throw malformed('it is not valid UTF-8', error);
    }
  }
  if (!isNoteText(text)) throw malformed('it is not well-formed or holds a control character other than newline');
  return text;
}

function isNoteText(text: string): boolean {
  return text.isWellFormed() && !CONTROL_CHARACTER.test(text);
}

// Signature line: em dash (U+2014), space, key name, space, base64(4-byte key ID || signature), newline.
function parseSignatureLine(line: string): { name: string; keyId: string; signature: Uint8Array } {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed('a signature line does not start with "— "');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const decoded = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
  if (!isValidKeyName(name) || decoded === undefined || decoded.length < 5) {
    throw malformed('a signature line is not "— <key name> <base64 key ID and signature>"');
  }
  return { name, keyId: Buffer.from(decoded.subarray(0, 4)).toString('hex'), signature: decoded.subarray(4) };
}

function malformed(reason: string, cause?: unknown): AuditLogError {
  return new AuditLogError('malformed_note', `malformed signed note: ${reason}`, cause === undefined ? undefined : { cause });
}
