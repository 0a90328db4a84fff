import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { addWrappingKey, readKeyring, removeWrappingKey, type Keyring } from './keyring.ts';
import { contextPairs, KeyProviderError, type KeyProvider, type WrapContext, type WrappedKey } from './key-provider.ts';

const PREFIX = 'local/';

/**
 * The local key provider (ENC-2, the default): root wrapping keys live in the keyring file.
 * Version 1 is derived from the keyring's root secret; rotation appends random keys to the file.
 * Wrapping is AES-256-GCM with the root version and the wrap context as associated data, so a
 * wrapped key unwraps only for the tenant and key version it was made for.
 *
 * With `path`, rotation persists to the keyring file, and a version this process has not seen
 * (another node rotated and the file was copied here) is looked up by re-reading the file.
 */
export function createLocalKeyProvider(options: { keyring: Keyring; path?: string; now?: () => Date }): KeyProvider {
  const now = options.now ?? (() => new Date());
  const keys = new Map<number, { key: Buffer; createdAt: Date }>();
  const load = (keyring: Keyring) => {
    keys.set(1, { key: keyring.derive('tenant-key-wrapping'), createdAt: keyring.createdAt });
    for (const entry of keyring.wrappingKeys) keys.set(entry.version, { key: entry.key, createdAt: entry.createdAt });
  };
  load(options.keyring);
  const primaryNumber = () => Math.max(...keys.keys());

  function keyFor(version: string): Buffer {
    const n = version.startsWith(PREFIX) ? Number(version.slice(PREFIX.length)) : Number.NaN;
    if (!Number.isInteger(n)) throw new KeyProviderError(`unknown root key version ${JSON.stringify(version)}`);
    if (!keys.has(n) && options.path !== undefined) load(readKeyring(options.path));
    const found = keys.get(n);
    if (found === undefined) throw new KeyProviderError(`root key version ${version} is not in this keyring (copy the rotated keyring file to every node)`);
    return found.key;
  }

  const aad = (version: string, context: WrapContext) => Buffer.from(JSON.stringify(['parapet-wrap/1', version, contextPairs(context)]), 'utf8');

  function wrapSync(plaintext: Buffer, context: WrapContext): WrappedKey {
    const rootVersion = `${PREFIX}${primaryNumber()}`;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyFor(rootVersion), nonce);
    cipher.setAAD(aad(rootVersion, context));
    return { rootVersion, ciphertext: Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) };
  }

  return {
    kind: 'local',
    primary: () => {
      const n = primaryNumber();
      return Promise.resolve({ version: `${PREFIX}${n}`, since: keys.get(n)?.createdAt ?? new Date(0) });
    },
    generateDataKey: (context) => {
      const plaintext = randomBytes(32);
      return Promise.resolve({ plaintext, wrapped: wrapSync(plaintext, context) });
    },
    wrap: (plaintext, context) => Promise.resolve(wrapSync(plaintext, context)),
    unwrap: (wrapped, context) => {
      const { ciphertext } = wrapped;
      if (ciphertext.length < 12 + 16) return Promise.reject(new KeyProviderError('malformed wrapped key'));
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(wrapped.rootVersion), ciphertext.subarray(0, 12));
        decipher.setAAD(aad(wrapped.rootVersion, context));
        decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
        return Promise.resolve(Buffer.concat([decipher.update(ciphertext.subarray(12, ciphertext.length - 16)), decipher.final()]));
      } catch (error) {
        return Promise.reject(error instanceof KeyProviderError ? error : new KeyProviderError('wrapped key does not unwrap under this keyring for this context'));
      }
    },
    rotate: () => {
      const at = now();
      if (options.path === undefined) {
        const version = primaryNumber() + 1;
        keys.set(version, { key: randomBytes(32), createdAt: at });
        return Promise.resolve({ version: `${PREFIX}${version}`, since: at });
      }
      const added = addWrappingKey(options.path, at);
      keys.set(added.version, { key: added.key, createdAt: added.createdAt });
      return Promise.resolve({ version: `${PREFIX}${added.version}`, since: added.createdAt });
    },
    describe: () => {
      const primary = primaryNumber();
      return Promise.resolve({
        kind: 'local',
        location: options.path ?? '(in memory)',
        versions: [...keys.entries()].sort(([a], [b]) => a - b).map(([n, k]) => ({ version: `${PREFIX}${n}`, createdAt: k.createdAt, primary: n === primary })),
      });
    },
    destroy: (version) => {
      const n = Number(version.slice(PREFIX.length));
      if (!version.startsWith(PREFIX) || !keys.has(n)) return Promise.reject(new KeyProviderError(`unknown root key version ${version}`));
      if (n === primaryNumber()) return Promise.reject(new KeyProviderError('the primary root key version cannot be destroyed'));
      if (n === 1) return Promise.reject(new KeyProviderError('root version local/1 is derived from the keyring root and cannot be destroyed on its own'));
      if (options.path !== undefined) removeWrappingKey(options.path, n);
      keys.get(n)?.key.fill(0);
      keys.delete(n);
      return Promise.resolve();
    },
  };
}
