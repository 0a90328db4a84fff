import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

/**
 * Tenants whose keys were destroyed (DATA-3 crypto-shredding), kept OUTSIDE the database. Deleting
 * the wrapped tenant keys from the database is not enough: a backup taken earlier still holds them,
 * and the root key (keyring or KMS) would still unwrap them after a restore. Field encryption
 * refuses every tenant listed here, so restored copies stay unreadable.
 *
 * With a path the list is a file beside the keyring (mode 0600, one `<tenant id> <ISO date>` per
 * line), copied to every node like the keyring itself; a node re-reads it when it changed.
 */
export interface ShredRegister {
  has(tenantId: string): boolean;
  add(tenantId: string, at: Date): void;
}

export function createShredRegister(options: { path?: string } = {}): ShredRegister {
  const shredded = new Set<string>();
  let seenMtime = -1;
  const reload = () => {
    if (options.path === undefined || !existsSync(options.path)) return;
    const mtime = statSync(options.path).mtimeMs;
    if (mtime === seenMtime) return;
    seenMtime = mtime;
    for (const line of readFileSync(options.path, 'utf8').split('\n')) {
      const id = line.split(' ')[0]?.trim().toLowerCase();
      if (id !== undefined && id !== '') shredded.add(id);
    }
  };
  reload();
  return {
    has: (tenantId) => {
      const id = tenantId.toLowerCase();
      if (shredded.has(id)) return true;
      reload();
      return shredded.has(id);
    },
    add: (tenantId, at) => {
      const id = tenantId.toLowerCase();
      reload();
      if (shredded.has(id)) return;
      shredded.add(id);
      if (options.path !== undefined) {
        writeFileSync(options.path, `${id} ${at.toISOString()}\n`, { flag: 'a', mode: 0o600 });
        seenMtime = statSync(options.path).mtimeMs;
      }
    },
  };
}

/** Where the shred register lives: beside the keyring file (back both up together, never with the database). */
export function shredRegisterPath(config: { readonly keyringPath: string }): string {
  return `${config.keyringPath}.shredded`;
}
