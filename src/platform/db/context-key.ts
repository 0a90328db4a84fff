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

/**
 * The message a context MAC covers (migration 0028): the context (`tenant|actor`), the server
 * backend it may be entered on and when it expires (milliseconds since the epoch).
 */
export function contextMessage(context: string, pid: number, expiresAt: number): string {
  return `v2|${context}|${String(pid)}|${String(expiresAt)}`;
}

/** How long a context MAC stays valid, and the granularity it is minted at (so it can be reused). */
export const CONTEXT_MAC_LIFETIME_MS = 10_000;
const CONTEXT_MAC_STEP_MS = 5_000;
const CACHE_LIMIT = 10_000;

/** A bound context MAC ready to send: `enter_context(context, expiresAt, mac)`. */
export interface BoundContext {
  readonly expiresAt: number;
  readonly mac: string;
}

/**
 * Mints bound context MACs, reusing one per (context, backend pid) while it has at least
 * half its lifetime left: the HMAC is computed about once per 5 s per tenant, actor and connection
 * instead of once per transaction. The cache belongs to one signer, hence to one key version.
 */
export function createBoundContextSigner(signer: ContextSigner, now: () => number = Date.now): (context: string, pid: number) => BoundContext {
  const cache = new Map<string, BoundContext>();
  return (context, pid) => {
    const at = now();
    const key = `${context}|${String(pid)}`;
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAt - at >= CONTEXT_MAC_LIFETIME_MS - CONTEXT_MAC_STEP_MS) return cached;
    // Expiry on a 5 s grid, 5–10 s ahead.
    const expiresAt = (Math.floor(at / CONTEXT_MAC_STEP_MS) + 2) * CONTEXT_MAC_STEP_MS;
    const bound = { expiresAt, mac: signer.sign(contextMessage(context, pid, expiresAt)) };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, bound);
    return bound;
  };
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
