import { hash } from 'node:crypto';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestsEqual } from '../../platform/crypto/random.ts';
import { FieldDecryptionError, type FieldEncryption } from '../keys/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { isPermission, type ApiKeyPrincipal, type KeyOwner, type Permission } from '../access/index.ts';
import { getKey, keyTenant, signingSecretContext, type ApiKeyRow } from './api-keys-store.ts';
import type { KeyIntegrity } from './key-integrity.ts';
import { API_KEY_LENGTH, isWellFormedKey, parseApiKey, type KeyMode } from './key-format.ts';

/** The change-feed topic: its key is an API key id that was revoked, rotated or changed. */
export const API_KEYS_TOPIC = 'api_keys';

/** A key that verified: who it is and until when it may be used. */
export interface VerifiedKey {
  readonly principal: ApiKeyPrincipal;
  readonly mode: KeyMode;
  /** Epoch milliseconds from which the key is refused: its expiry, or the end of its rotation overlap. */
  readonly notAfter: number;
  readonly expiresAt: Date;
  readonly retiresAt: Date | undefined;
  /** The HMAC signing secret of a key that must sign its requests (AUTH-8). */
  readonly signingSecret: string | undefined;
}

export interface KeyVerifier {
  /**
   * The hot path: the key from this node's cache when it is there, fresh and unexpired, with no
   * promise and no I/O; undefined otherwise (then call `verify`).
   */
  verifyWarm(presented: string): VerifiedKey | undefined;
  /** The key a presented `prk_…` string names, or `unauthenticated`. Malformed strings never reach the database. */
  verify(presented: string): Promise<VerifiedKey>;
  /** Forgets a key on this node (other nodes hear of it through the change feed). */
  drop(keyId: string): void;
  readonly size: number;
  close(): void;
}

const UNAUTHENTICATED = (): AppError => new AppError('unauthenticated');

/** The signing secret in clear, or null when it does not decrypt (moved, tampered with, key destroyed). */
async function openSigningSecret(fields: Pick<FieldEncryption, 'decryptField'>, row: ApiKeyRow, stored: string): Promise<string | null> {
  try {
    return await fields.decryptField(signingSecretContext(row.tenant_id, row.id), stored);
  } catch (error) {
    if (error instanceof FieldDecryptionError) return null;
    throw error;
  }
}

/** Epoch milliseconds from which a key is refused: its expiry, or the end of its rotation overlap. */
function keyNotAfter(row: ApiKeyRow): number {
  return Math.min(row.expires_at.getTime(), row.retires_at?.getTime() ?? Number.POSITIVE_INFINITY);
}

/** How many keys may stand between a key and the member or service account that owns it. */
const MAX_KEY_CHAIN = 8;

/**
 * Whose access a key borrows (issue 14 part 3): its creator, or for a key made by another key,
 * that key's owner. A key made by a key stops with it: undefined when a key in the chain is gone
 * or revoked; `notAfter` is the earliest end along the chain; `via` names the keys in between.
 * `'as-stored'` follows the rows without their MACs: only for the access review's listing (which
 * has no keyring and shows the table as it is), never to grant anything.
 */
export async function keyOwner(tx: Tx, integrity: KeyIntegrity | 'as-stored', row: ApiKeyRow): Promise<{ owner: KeyOwner; notAfter: number; via: string[] } | undefined> {
  let current = row;
  let notAfter = keyNotAfter(row);
  const via: string[] = [];
  for (let depth = 0; depth <= MAX_KEY_CHAIN; depth++) {
    if (current.created_by_type !== 'api_key') return { owner: { type: current.created_by_type, id: current.created_by }, notAfter, via };
    const parent = integrity === 'as-stored' ? await tx.selectFrom('api_keys').selectAll().where('tenant_id', '=', current.tenant_id).where('id', '=', current.created_by).executeTakeFirst() : await getKey(tx, integrity, current.tenant_id, current.created_by);
    if (parent === undefined || parent.revoked_at !== null || via.includes(parent.id)) return undefined;
    via.push(parent.id);
    notAfter = Math.min(notAfter, keyNotAfter(parent));
    current = parent;
  }
  return undefined;
}

function toVerified(row: ApiKeyRow, signingSecret: string | undefined, owner: KeyOwner, chainNotAfter: number): VerifiedKey {
  const permissions = new Set<Permission>(row.permissions.filter(isPermission));
  const notAfter = Math.min(keyNotAfter(row), chainNotAfter);
  return {
    principal: {
      kind: 'api_key',
      keyId: row.id,
      tenantId: row.tenant_id,
      displayName: row.name,
      permissions,
      // An environment-bound key carries its project too, so the evaluator can place it.
      projectId: row.project_id ?? undefined,
      environmentId: row.environment_id ?? undefined,
      owner,
    },
    mode: row.mode,
    notAfter,
    expiresAt: row.expires_at,
    retiresAt: row.retires_at ?? undefined,
    signingSecret,
  };
}

/**
 * API key verification with an in-process cache (AUTH-7). The cache is keyed by SHA-256 of the
 * presented key (the same digest the database stores), bounded in size, and an entry is refused
 * from the instant its key expires or its rotation overlap ends. Revocations and rotations reach
 * every node through the change feed and drop the entry; `maxAgeMs` bounds how long an entry
 * lives even if a notification were lost, and a load that overlapped a change is not kept.
 */
export function createKeyVerifier(deps: {
  transactor: AppTransactor;
  clock: Clock;
  fields: Pick<FieldEncryption, 'decryptField'>;
  feed: ChangeFeed | undefined;
  /** Row MACs (issue 13): a key row the application did not write is unknown. */
  integrity: KeyIntegrity;
  maxEntries?: number;
  maxAgeMs?: number;
}): KeyVerifier {
  const maxEntries = deps.maxEntries ?? 100_000;
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  const entries = new Map<string, { key: VerifiedKey; loadedAt: number }>();
  /** Digests of presented strings that name no usable key (revoked, expired, unknown): never usable again. */
  const refused = new Map<string, number>();
  const digestOf = new Map<string, string>();
  const loading = new Map<string, Promise<VerifiedKey | undefined>>();
  const generations = new Map<string, number>();
  /** Key id → keys made (through any chain) by it, cached here: they stop when it does. */
  const dependents = new Map<string, Set<string>>();
  let epoch = 0;
  /** Counts drops; a load of a key made by a key is kept only if no drop happened meanwhile. */
  let drops = 0;

  function drop(keyId: string): void {
    drops++;
    const made = dependents.get(keyId);
    dependents.delete(keyId);
    for (const child of made ?? []) drop(child);
    const digest = digestOf.get(keyId);
    if (digest !== undefined) entries.delete(digest);
    digestOf.delete(keyId);
    if (generations.size >= maxEntries) {
      // Bounded: forgetting generations is safe once the epoch moves, which voids loads in flight.
      generations.clear();
      epoch++;
    }
    generations.set(keyId, (generations.get(keyId) ?? 0) + 1);
  }
  function reset(): void {
    entries.clear();
    digestOf.clear();
    dependents.clear();
    loading.clear();
    epoch++;
  }
  const unsubscribe = deps.feed?.subscribe(API_KEYS_TOPIC, drop, reset);

  function refuse(digest: string): void {
    if (refused.size >= maxEntries) {
      const oldest = refused.keys().next();
      if (oldest.done !== true) refused.delete(oldest.value);
    }
    refused.set(digest, deps.clock.now().getTime());
  }

  async function load(presented: string, digest: string): Promise<VerifiedKey | undefined> {
    const parsed = parseApiKey(presented);
    if (parsed === undefined) return undefined;
    const generation = generations.get(parsed.id) ?? 0;
    const startEpoch = epoch;
    const startDrops = drops;
    let via: string[] = [];
    // The organization is not known yet: ask the SECURITY DEFINER lookup, then read and verify
    // the key inside that organization's own context.
    const tenantId = await deps.transactor.withPlatform((tx) => keyTenant(tx, parsed.id, Buffer.from(digest, 'base64')));
    let key: VerifiedKey | undefined;
    if (tenantId !== undefined) {
      const found = await deps.transactor.withTenant(tenantId, async (tx) => {
        const row = await getKey(tx, deps.integrity, tenantId, parsed.id);
        return row === undefined ? undefined : { row, chain: await keyOwner(tx, deps.integrity, row) };
      });
      // Compare digests in constant time; the stored hash covers mode, id, secret and checksum.
      if (found !== undefined && found.chain !== undefined && digestsEqual(found.row.secret_hash, Buffer.from(digest, 'base64')) && found.row.revoked_at === null) {
        const { row, chain } = found;
        // Decrypted once per cache load, never per request: the warm path holds the secret in memory.
        const secret = row.signing_secret_sealed === null ? undefined : await openSigningSecret(deps.fields, row, row.signing_secret_sealed);
        // A signing key whose secret no longer decrypts (its tenant key destroyed) cannot be used.
        key = secret === null ? undefined : toVerified(row, secret, chain.owner, chain.notAfter);
        via = chain.via;
      }
    }
    if (key === undefined || key.notAfter <= deps.clock.now().getTime()) {
      refuse(digest);
      return undefined;
    }
    if ((generations.get(parsed.id) ?? 0) === generation && epoch === startEpoch && (via.length === 0 || drops === startDrops)) {
      // Bounded: forgetting every link is safe only together with every entry.
      if (dependents.size >= maxEntries) reset();
      for (const ancestor of via) {
        let made = dependents.get(ancestor);
        if (made === undefined) dependents.set(ancestor, (made = new Set()));
        made.add(parsed.id);
      }
      if (entries.size >= maxEntries) {
        const oldest = entries.entries().next();
        if (oldest.done !== true) {
          entries.delete(oldest.value[0]);
          digestOf.delete(oldest.value[1].key.principal.keyId);
        }
      }
      entries.set(digest, { key, loadedAt: deps.clock.now().getTime() });
      digestOf.set(parsed.id, digest);
    }
    return key;
  }

  /** The cached key for a digest when fresh and unexpired; deletes an expired entry. */
  function fromCache(digest: string, now: number): VerifiedKey | undefined {
    // A hit means this exact string verified before, so its shape and checksum are known good.
    const entry = entries.get(digest);
    if (entry === undefined) return undefined;
    // Refused from the instant the key expires or its rotation overlap ends.
    if (now >= entry.key.notAfter) {
      entries.delete(digest);
      return undefined;
    }
    return now - entry.loadedAt < maxAgeMs ? entry.key : undefined;
  }

  return {
    verifyWarm: (presented) => (presented.length === API_KEY_LENGTH ? fromCache(hash('sha256', presented, 'base64'), deps.clock.now().getTime()) : undefined),
    verify: async (presented) => {
      if (presented.length !== API_KEY_LENGTH) throw UNAUTHENTICATED();
      const digest = hash('sha256', presented, 'base64');
      const now = deps.clock.now().getTime();
      const entry = entries.get(digest);
      if (entry !== undefined && now >= entry.key.notAfter) {
        entries.delete(digest);
        throw UNAUTHENTICATED();
      }
      const warm = fromCache(digest, now);
      if (warm !== undefined) return warm;
      // Shape, widths and checksum before anything else: typos and random strings cost no query.
      if (!isWellFormedKey(presented)) throw UNAUTHENTICATED();
      const refusedAt = refused.get(digest);
      if (refusedAt !== undefined && now - refusedAt < maxAgeMs) throw UNAUTHENTICATED();
      let pending = loading.get(digest);
      if (pending === undefined) {
        pending = load(presented, digest).finally(() => {
          if (loading.get(digest) === pending) loading.delete(digest);
        });
        loading.set(digest, pending);
      }
      const key = await pending;
      if (key === undefined || deps.clock.now().getTime() >= key.notAfter) throw UNAUTHENTICATED();
      return key;
    },
    drop,
    get size() {
      return entries.size;
    },
    close: () => {
      unsubscribe?.();
    },
  };
}
