import { randomBytes, hkdfSync, randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The local keyring: the root secret every other Parapet key is derived from or wrapped by. */
export interface Keyring {
  readonly id: string;
  /** Derives a 32-byte key for one purpose (HKDF-SHA256, RFC 5869); purposes never share keys. */
  derive(purpose: KeyPurpose): Buffer;
}

/** Every use of keyring-derived material, named so two uses can never collide. */
export type KeyPurpose = 'tenant-context-mac' | 'setup-token' | 'session-token' | 'audit-checkpoint-signing' | 'secret-sealing' | 'login-throttle' | 'access-token-signing';

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

interface KeyringFile {
  readonly format: 'parapet-keyring/1';
  readonly id: string;
  readonly createdAt: string;
  readonly root: string;
}

/**
 * Loads the keyring at `path`, creating it on first use. Creation uses O_EXCL so an existing
 * keyring is never overwritten, and mode 0600; loading refuses a file that group or others can
 * read or write, because anyone who reads it can forge tenant contexts and decrypt data.
 */
export function loadOrCreateKeyring(path: string, now: () => Date = () => new Date()): { keyring: Keyring; created: boolean } {
  let created = false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const file: KeyringFile = {
      format: 'parapet-keyring/1',
      id: randomUUID(),
      createdAt: now().toISOString(),
      root: randomBytes(32).toString('base64'),
    };
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new KeyringError(`cannot create keyring ${path}: ${(error as Error).message}`);
    }
  }
  return { keyring: readKeyring(path), created };
}

/** Loads an existing keyring (never creates one), with the same permission check. */
export function readKeyring(path: string): Keyring {
  const fd = openSync(path, 'r');
  let text: string;
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KeyringError(
        `keyring ${path} has mode ${mode.toString(8).padStart(4, '0')}; it must not be accessible to group or others (chmod 600 ${path})`,
      );
    }
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let file: Partial<KeyringFile>;
  try {
    file = JSON.parse(text) as Partial<KeyringFile>;
  } catch {
    throw new KeyringError(`keyring ${path} is not valid JSON`);
  }
  if (file.format !== 'parapet-keyring/1' || typeof file.root !== 'string' || typeof file.id !== 'string') {
    throw new KeyringError(`keyring ${path} is not a parapet-keyring/1 file`);
  }
  const root = Buffer.from(file.root, 'base64');
  if (root.length !== 32) throw new KeyringError(`keyring ${path}: root key must be 32 bytes`);
  return keyringFromRoot(file.id, root);
}

/** Builds a keyring from raw root material (tests and the file loader). */
export function keyringFromRoot(id: string, root: Buffer): Keyring {
  return {
    id,
    derive: (purpose) => Buffer.from(hkdfSync('sha256', root, Buffer.from('parapet/keyring/1'), Buffer.from(purpose), 32)),
  };
}
