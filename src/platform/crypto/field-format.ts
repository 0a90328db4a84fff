import { ParapetError } from '../errors.ts';
import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * The stored format of an encrypted field (ENC-1), text so it fits any column:
 *
 *   pk1.<tenant key version>.<nonce>.<ciphertext ‖ tag>      (nonce 12 bytes, tag 16; base64url)
 *
 * AES-256-GCM under the tenant key version named, with associated data binding the value to where
 * it belongs: format, tenant, table, column, row id and key version. A value copied to another
 * row, column, table or tenant, or relabelled with another version, fails authentication.
 */
export const FIELD_FORMAT = 'pk1';

/** Where an encrypted value belongs; bound into its associated data. */
export interface FieldContext {
  readonly tenantId: string;
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

export interface ParsedField {
  readonly version: number;
  readonly nonce: Buffer;
  readonly body: Buffer;
}

/** Raised for any value that does not decrypt; it never says why beyond this, nor holds data. */
export class FieldDecryptionError extends ParapetError {
  readonly code = 'field_decryption';
  override readonly name = 'FieldDecryptionError';
  constructor(reason = 'encrypted field does not decrypt in this context') {
    super(reason);
  }
}

export function associatedData(context: FieldContext, version: number): Buffer {
  return Buffer.from(JSON.stringify([FIELD_FORMAT, context.tenantId, context.table, context.column, context.rowId, version]), 'utf8');
}

export function parseField(stored: string): ParsedField {
  const parts = stored.split('.');
  const [format, versionText, nonceText, bodyText] = parts;
  if (parts.length !== 4 || format !== FIELD_FORMAT || versionText === undefined || nonceText === undefined || bodyText === undefined || !/^[1-9]\d{0,9}$/.test(versionText)) {
    throw new FieldDecryptionError('not an encrypted field');
  }
  const nonce = Buffer.from(nonceText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (nonce.length !== 12 || body.length < 16) throw new FieldDecryptionError('not an encrypted field');
  return { version: Number(versionText), nonce, body };
}

export function sealField(key: Buffer, version: number, nonce: Buffer, plaintext: Buffer, context: FieldContext): string {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(context, version));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${FIELD_FORMAT}.${version}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

export function openField(key: Buffer, parsed: ParsedField, context: FieldContext): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.nonce);
    decipher.setAAD(associatedData(context, parsed.version));
    decipher.setAuthTag(parsed.body.subarray(parsed.body.length - 16));
    return Buffer.concat([decipher.update(parsed.body.subarray(0, parsed.body.length - 16)), decipher.final()]);
  } catch {
    throw new FieldDecryptionError();
  }
}
