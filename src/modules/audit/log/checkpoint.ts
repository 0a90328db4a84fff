import { AuditLogError } from './audit-log-error.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { HASH_SIZE } from './merkle-hash.ts';
import { isValidKeyName } from './note-key.ts';
import { isTreeIndex } from './tree-arithmetic.ts';

/** A C2SP tlog-checkpoint: a log's tree head at one size, as the body of a signed note. */
export interface Checkpoint {
  /** Identifies the log; ours is `<public host>/audit/<tenant id>`. */
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** Opaque extension lines; the spec does NOT RECOMMEND them. */
  readonly extensions?: readonly string[];
}

// "ASCII decimal representation of the number of leaves in the tree, with no leading zeroes"
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const CONTROL_CHARACTER = /[\u0000-\u001f]/;

/**
 * Formats checkpoint note text (c2sp.org/tlog-checkpoint): origin, decimal tree size, base64 root
 * hash, then any extension lines, each ending in a newline. Sign it with `signNote`.
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  // The origin "MUST be non-empty, and it SHOULD be a schema-less URL containing neither Unicode
  // spaces nor plus"; we only ever write origins that meet the SHOULD, so a key name can match it.
  if (!isValidKeyName(origin) || CONTROL_CHARACTER.test(origin)) {
    throw new AuditLogError('invalid_argument', 'a checkpoint origin must be non-empty, without spaces, "+" or control characters');
  }
  if (!isTreeIndex(size)) throw new AuditLogError('invalid_argument', `tree size ${size} is not a non-negative safe integer`);
  if (root.length !== HASH_SIZE) throw new AuditLogError('invalid_argument', `a root hash is ${HASH_SIZE} bytes`);
  // "Extension lines, if any, MUST be non-empty."
  if (extensions.some((line) => line.length === 0 || !line.isWellFormed() || CONTROL_CHARACTER.test(line))) {
    throw new AuditLogError('invalid_argument', 'checkpoint extension lines must be non-empty single lines');
  }
  return [origin, String(size), encodeBase64(root), ...extensions].map((line) => `${line}\n`).join('');
}

/**
 * Parses checkpoint note text strictly: at least three lines each ending in a newline, a non-empty
 * origin, a canonical decimal size, a base64 SHA-256 root hash, and non-empty extension lines.
 * Only parse the body of a note that `openNote` verified.
 */
export function parseCheckpoint(text: string): Checkpoint & { readonly extensions: readonly string[] } {
  if (!text.endsWith('\n') || !text.isWellFormed() || /[\u0000-\u0009\u000b-\u001f]/.test(text)) {
    throw malformed('it must be well-formed lines, each ending in a newline');
  }
  const [origin = '', sizeLine = '', rootLine = '', ...extensions] = text.slice(0, -1).split('\n');
  // "The note text is a sequence of at least three non-empty lines"; "The origin MUST be non-empty".
  if (origin.length === 0) throw malformed('the origin line is empty');
  if (!DECIMAL.test(sizeLine) || !isTreeIndex(Number(sizeLine))) throw malformed('the tree size is not a decimal number');
  const root = decodeBase64(rootLine);
  if (root?.length !== HASH_SIZE) throw malformed(`the root hash is not ${HASH_SIZE} bytes in base64`);
  if (extensions.some((line) => line.length === 0)) throw malformed('an extension line is empty');
  return { origin, size: Number(sizeLine), root, extensions };
}

function malformed(reason: string): AuditLogError {
  return new AuditLogError('malformed_checkpoint', `malformed checkpoint: ${reason}`);
}
