import { ParapetError } from '../errors.ts';
import { randomBytes, hkdfSync, randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The local keyring: the root secret every other Parapet key is derived from or wrapped by. */
export interface Keyring {
  readonly id: string;
  /** Derives a 32-byte key for one purpose (HKDF-SHA256, RFC 5869); purposes never share keys. */
  derive(purpose: KeyPurpose): Buffer;
  /** When the keyring was created (root wrapping key version 1 dates from then). */
  readonly createdAt: Date;
  /** Root wrapping keys added by rotation (version 2 on); version 1 is `derive('tenant-key-wrapping')`. */
  readonly wrappingKeys: readonly WrappingKey[];
}

/** A random root wrapping key the local key provider added to the keyring file on rotation. */
export interface WrappingKey {
  readonly version: number;
  readonly key: Buffer;
  readonly createdAt: Date;
}

/** Every use of keyring-derived material, named so two uses can never collide. */
export type KeyPurpose = 'tenant-context-mac' | 'setup-token' | 'session-token' | 'audit-checkpoint-signing' | 'secret-sealing' | 'login-throttle' | 'tenant-key-wrapping' | 'access-token-signing' | 'secrets-layer' | 'account-tombstone' | 'refresh-token-successor' | 'row-integrity' | 'oidc-artifact-mac' | 'oidc-cookies' | 'subscription-links' | 'oidc-rsa-key-sealing';

export class KeyringError extends ParapetError {
  readonly code = 'keyring';
  override readonly name = 'KeyringError';
}

interface KeyringFile {
  readonly format: 'parapet-keyring/1';
  readonly id: string;
  readonly createdAt: string;
  readonly root: string;
  readonly wrapping_keys?: readonly { version: number; key: string; created_at: string }[];
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
  const file = readKeyringFile(path);
  const root = Buffer.from(file.root, 'base64');
  if (root.length !== 32) throw new KeyringError(`keyring ${path}: root key must be 32 bytes`);
  const wrappingKeys = (file.wrapping_keys ?? []).map((entry) => {
    const key = Buffer.from(entry.key, 'base64');
    if (key.length !== 32 || !Number.isInteger(entry.version) || entry.version < 2) throw new KeyringError(`keyring ${path}: malformed wrapping key`);
    return { version: entry.version, key, createdAt: new Date(entry.created_at) };
  });
  return keyringFromRoot(file.id, root, { createdAt: new Date(file.createdAt), wrappingKeys });
}

/**
 * Adds a fresh root wrapping key to the keyring file (ENC-2 root rotation with the local
 * provider). The file is rewritten to a temporary file with mode 0600 and renamed over the old
 * one, so a crash leaves either the old keyring or the new one, never half of one.
 */
export function addWrappingKey(path: string, now: Date): WrappingKey {
  const file = readKeyringFile(path);
  const existing = file.wrapping_keys ?? [];
  const version = Math.max(1, ...existing.map((k) => k.version)) + 1;
  const key = randomBytes(32);
  const next: KeyringFile = { ...file, wrapping_keys: [...existing, { version, key: key.toString('base64'), created_at: now.toISOString() }] };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temp, path);
  return { version, key, createdAt: now };
}

/** Removes a root wrapping key from the keyring file (after nothing is wrapped by it). */
export function removeWrappingKey(path: string, version: number): void {
  const file = readKeyringFile(path);
  const next: KeyringFile = { ...file, wrapping_keys: (file.wrapping_keys ?? []).filter((k) => k.version !== version) };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temp, path);
}

function readKeyringFile(path: string): KeyringFile {
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
  return { format: file.format, id: file.id, root: file.root, createdAt: typeof file.createdAt === 'string' ? file.createdAt : new Date(0).toISOString(), ...(Array.isArray(file.wrapping_keys) ? { wrapping_keys: file.wrapping_keys } : {}) };
}

/** Builds a keyring from raw root material (tests and the file loader). */
export function keyringFromRoot(id: string, root: Buffer, extra: { createdAt?: Date; wrappingKeys?: readonly WrappingKey[] } = {}): Keyring {
  return {
    id,
    createdAt: extra.createdAt ?? new Date(0),
    wrappingKeys: extra.wrappingKeys ?? [],
    derive: (purpose) => Buffer.from(hkdfSync('sha256', root, Buffer.from('parapet/keyring/1'), Buffer.from(purpose), 32)),
  };
}
