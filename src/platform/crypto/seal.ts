import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.ts';

/**
 * Where a sealed value belongs. It is bound into the AES-GCM associated data, so a ciphertext
 * copied to another tenant, table, column or row fails to open.
 */
export interface SealContext {
  readonly tenantId: string;
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

export interface Sealer {
  seal(plaintext: string, context: SealContext): string;
  /** Throws when the value was tampered with or belongs elsewhere. */
  open(sealed: string, context: SealContext): string;
}

const VERSION = 'v1';

function aad(context: SealContext): Buffer {
  return Buffer.from(JSON.stringify([`parapet-seal/${VERSION}`, context.tenantId, context.table, context.column, context.rowId]), 'utf8');
}

/**
 * AES-256-GCM sealing of secret columns under a keyring-derived key: `v1.<nonce>.<ciphertext+tag>`
 * (base64url): the format before envelope encryption (field-encryption.ts). No production code
 * seals any more; `open` remains so that `decryptField` reads values written before migrations
 * 0011 (webhook secrets) and 0013 (API-key signing secrets) until the key maintenance job has
 * rewritten them as `pk1`. `seal` is kept for the tests that make such values.
 */
export function createSealer(keyring: Keyring): Sealer {
  const key = keyring.derive('secret-sealing');
  return {
    seal: (plaintext, context) => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(aad(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
    },
    open: (sealed, context) => {
      const [version, nonceText, bodyText] = sealed.split('.');
      if (version !== VERSION || nonceText === undefined || bodyText === undefined) throw new Error('not a sealed value');
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < 16) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonceText, 'base64url'));
      decipher.setAAD(aad(context));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}
