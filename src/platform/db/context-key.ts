import { createHmac } from 'node:crypto';
import type { OwnerSession } from './connect.ts';

/**
 * The key that authenticates tenant contexts (see migration 0001). The application keeps the key;
 * the database keeps only the precomputed HMAC pads, in a schema parapet_app cannot read.
 */
export interface ContextSigner {
  /** HMAC-SHA256 of `context` as lowercase hex, as parapet_private.verified_context() expects. */
  sign(context: string): string;
}

export function createContextSigner(key: Buffer): ContextSigner {
  return { sign: (context) => createHmac('sha256', key).update(context, 'utf8').digest('hex') };
}

/** HMAC pads (RFC 2104): the key zero-padded to the SHA-256 block size, xor 0x36 and 0x5c. */
function pads(key: Buffer): { ipad: Buffer; opad: Buffer } {
  if (key.length > 64) throw new Error('context key longer than the SHA-256 block size');
  const block = Buffer.alloc(64);
  key.copy(block);
  return { ipad: Buffer.from(block.map((b) => b ^ 0x36)), opad: Buffer.from(block.map((b) => b ^ 0x5c)) };
}

export type ContextKeyState = 'installed' | 'unchanged' | 'mismatch';

/**
 * Installs the context key's pads if none are installed. A different key already installed is
 * reported as `mismatch` (another keyring migrated this database) unless `replace` is set.
 */
export async function installContextKey(session: OwnerSession, key: Buffer, replace = false): Promise<ContextKeyState> {
  const { ipad, opad } = pads(key);
  const existing = await session.query<{ opad: Uint8Array }>('select opad from parapet_private.context_key where id = 1');
  const current = existing[0];
  if (current !== undefined) {
    if (Buffer.from(current.opad).equals(opad)) return 'unchanged';
    if (!replace) return 'mismatch';
  }
  await session.query(
    `insert into parapet_private.context_key (id, ipad, opad) values (1, $1, $2)
     on conflict (id) do update set ipad = excluded.ipad, opad = excluded.opad, installed_at = now()`,
    [ipad, opad],
  );
  return 'installed';
}
