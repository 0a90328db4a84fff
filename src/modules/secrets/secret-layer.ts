import { ParapetError } from '../../platform/errors.ts';
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Random } from '../../platform/crypto/random.ts';

/**
 * The inner of the vault's two encryption layers (ENC-4), text so the envelope can take it:
 *
 *   ps1.<nonce>.<ciphertext ‖ tag>          (nonce 12 bytes, tag 16; base64url)
 *
 * AES-256-GCM under a key derived for this one secret: HKDF-SHA256 (RFC 5869) from the keyring's
 * `secrets-layer` key, with the tenant, environment and secret name in `info`. The associated data
 * binds the value further to the secret's id and the version's row id, so a ciphertext copied to
 * another version, secret, environment or tenant fails to open even if the outer envelope were
 * re-made for its new place.
 */
export const SECRET_LAYER_FORMAT = 'ps1';

/** Where a secret value belongs; every field is bound into the key or the associated data. */
export interface SecretLayerContext {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly name: string;
  readonly secretId: string;
  readonly versionId: string;
}

/** Raised for any inner value that does not open; holds no data. */
export class SecretLayerError extends ParapetError {
  readonly code = 'secret_layer';
  override readonly name = 'SecretLayerError';
  constructor() {
    super('secret value does not decrypt in this context');
  }
}

export interface SecretLayer {
  seal(plaintext: string, context: SecretLayerContext): string;
  /** Throws `SecretLayerError` for a value moved, tampered with or not of this format. */
  open(sealed: string, context: SecretLayerContext): string;
}

const SALT = Buffer.from(`parapet/${SECRET_LAYER_FORMAT}`);

function associatedData(context: SecretLayerContext): Buffer {
  return Buffer.from(JSON.stringify([SECRET_LAYER_FORMAT, context.tenantId, context.environmentId, context.name, context.secretId, context.versionId]), 'utf8');
}

/** The per-secret key; callers zeroize it (TEN-4). */
function secretKey(layerKey: Buffer, context: SecretLayerContext): Buffer {
  const info = Buffer.from(JSON.stringify([context.tenantId, context.environmentId, context.name]), 'utf8');
  return Buffer.from(hkdfSync('sha256', layerKey, SALT, info, 32));
}

/** The secrets layer over the keyring's `secrets-layer` key (separate from every tenant key). */
export function createSecretLayer(keyring: Pick<Keyring, 'derive'>, random: Random): SecretLayer {
  const layerKey = keyring.derive('secrets-layer');
  return {
    seal: (plaintext, context) => {
      const key = secretKey(layerKey, context);
      try {
        const nonce = random(12);
        const cipher = createCipheriv('aes-256-gcm', key, nonce);
        cipher.setAAD(associatedData(context));
        const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
        return `${SECRET_LAYER_FORMAT}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
      } finally {
        key.fill(0);
      }
    },
    open: (sealed, context) => {
      const parts = sealed.split('.');
      const [format, nonceText, bodyText] = parts;
      if (parts.length !== 3 || format !== SECRET_LAYER_FORMAT || nonceText === undefined || bodyText === undefined) throw new SecretLayerError();
      const nonce = Buffer.from(nonceText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (nonce.length !== 12 || body.length < 16) throw new SecretLayerError();
      const key = secretKey(layerKey, context);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAAD(associatedData(context));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretLayerError();
      } finally {
        key.fill(0);
      }
    },
  };
}
