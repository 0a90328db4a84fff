import { ParapetError } from '../errors.ts';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The backup key file (ENC-5): key material for backups only, separate from the keyring that
 * holds the data keys. It holds
 * - the backup root key, which wraps each backup's random data key, and
 * - one random "shred key" per tenant key version, which seals that version's wrapped tenant key
 *   inside backups. `keys destroy` deletes the shred key, so every backup taken before the
 *   destruction loses that tenant key version too (crypto-shredding reaches backups).
 * None of it is ever written into a backup.
 */
export interface BackupKeys {
  readonly path: string;
  readonly id: string;
  /** Wraps a backup's data key (AES-256-GCM, associated data names this file and the backup). */
  wrapDataKey(dataKey: Buffer, aad: Buffer): Buffer;
  /** Throws `BackupKeyError` when `wrapped` was made by another backup key file or altered. */
  unwrapDataKey(wrapped: Buffer, aad: Buffer): Buffer;
  /** The shred key of one tenant key version, or undefined once it was destroyed. */
  shredKey(tenantId: string, version: number): Buffer | undefined;
  /** Adds shred keys for these tenant key versions when missing (one atomic rewrite of the file). */
  ensureShredKeys(versions: readonly { tenantId: string; version: number }[]): void;
}

export class BackupKeyError extends ParapetError {
  readonly code = 'backup_key';
  override readonly name = 'BackupKeyError';
}

interface BackupKeyFile {
  readonly format: 'parapet-backup-keys/1';
  readonly id: string;
  readonly created_at: string;
  readonly root: string;
  readonly shred_keys: Record<string, string>;
}

const shredId = (tenantId: string, version: number) => `${tenantId.toLowerCase()}/${version}`;

/** Creates the backup key file (O_EXCL, mode 0600) when it does not exist yet; returns whether it did. */
export function createBackupKeysIfMissing(path: string, now: Date): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const file: BackupKeyFile = { format: 'parapet-backup-keys/1', id: randomUUID(), created_at: now.toISOString(), root: randomBytes(32).toString('base64'), shred_keys: {} };
  try {
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new BackupKeyError(`cannot create backup key file ${path}: ${(error as Error).message}`);
  }
}

function readFile(path: string): BackupKeyFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new BackupKeyError(`cannot open backup key file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let text: string;
  try {
    const mode = fstatSync(fd).mode & 0o777;
    // Like the keyring: whoever reads this file can open every backup.
    if ((mode & 0o077) !== 0) throw new BackupKeyError(`backup key file ${path} has mode ${mode.toString(8).padStart(4, '0')}; it must not be accessible to group or others (chmod 600 ${path})`);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let file: Partial<BackupKeyFile>;
  try {
    file = JSON.parse(text) as Partial<BackupKeyFile>;
  } catch {
    throw new BackupKeyError(`backup key file ${path} is not valid JSON`);
  }
  if (file.format !== 'parapet-backup-keys/1' || typeof file.id !== 'string' || typeof file.root !== 'string' || typeof file.shred_keys !== 'object') {
    throw new BackupKeyError(`backup key file ${path} is not a parapet-backup-keys/1 file`);
  }
  return { format: file.format, id: file.id, created_at: String(file.created_at), root: file.root, shred_keys: { ...file.shred_keys } };
}

function writeAtomically(path: string, file: BackupKeyFile): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temp, path);
}

/** Loads an existing backup key file (never creates one), refusing loose permissions. */
export function readBackupKeys(path: string): BackupKeys {
  let file = readFile(path);
  const root = Buffer.from(file.root, 'base64');
  if (root.length !== 32) throw new BackupKeyError(`backup key file ${path}: root key must be 32 bytes`);
  return {
    path,
    id: file.id,
    wrapDataKey: (dataKey, aad) => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', root, nonce);
      cipher.setAAD(aad);
      return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    },
    unwrapDataKey: (wrapped, aad) => {
      try {
        const decipher = createDecipheriv('aes-256-gcm', root, wrapped.subarray(0, 12));
        decipher.setAAD(aad);
        decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
        return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
      } catch {
        throw new BackupKeyError('the backup key does not open this backup (another backup key file, or the header was altered)');
      }
    },
    shredKey: (tenantId, version) => {
      const value = file.shred_keys[shredId(tenantId, version)];
      return value === undefined ? undefined : Buffer.from(value, 'base64');
    },
    ensureShredKeys: (versions) => {
      const current = readFile(path);
      const missing = versions.filter((v) => current.shred_keys[shredId(v.tenantId, v.version)] === undefined);
      if (missing.length === 0) {
        file = current;
        return;
      }
      const shred = { ...current.shred_keys };
      for (const v of missing) shred[shredId(v.tenantId, v.version)] = randomBytes(32).toString('base64');
      file = { ...current, shred_keys: shred };
      writeAtomically(path, file);
    },
  };
}

/**
 * Deletes the shred key of a destroyed tenant key version (ENC-5 with DATA-3): backups taken
 * before cannot give that version back. A missing file means no backup was ever made here.
 */
export function forgetShredKey(path: string, tenantId: string, version: number): boolean {
  let current: BackupKeyFile;
  try {
    current = readFile(path);
  } catch (error) {
    if (error instanceof BackupKeyError && error.message.includes('ENOENT')) return false;
    throw error;
  }
  const id = shredId(tenantId, version);
  if (current.shred_keys[id] === undefined) return false;
  const shred = Object.fromEntries(Object.entries(current.shred_keys).filter(([key]) => key !== id));
  writeAtomically(path, { ...current, shred_keys: shred });
  return true;
}
