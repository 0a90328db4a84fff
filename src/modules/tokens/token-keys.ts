import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';

/** The JWS algorithm of every access token Parapet signs (RFC 8037 Ed25519). */
export const ACCESS_TOKEN_ALG = 'EdDSA';

/**
 * A node starts signing with a new period's key this long after the period begins, so a node whose
 * clock runs up to this much behind (and so does not accept that key yet) still accepts the token.
 */
export const SIGNING_DELAY_MS = 60_000;

// DER prefix that wraps a raw 32-byte Ed25519 seed as PKCS #8 (RFC 8410 §7).
const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** One rotation period's key pair. */
export interface PeriodKey {
  /** Names the period: `at-<first day, UTC, YYYYMMDD>-<period length>d`. */
  readonly kid: string;
  readonly period: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key as a JWK with `kid`, `alg` and `use`. */
  readonly jwk: JWK;
}

/**
 * Access-token signing keys (Ed25519) that rotate every `rotationDays`, derived from the keyring so
 * every node computes the same key for the same period without coordination, and no key material is
 * ever stored in the database. Shared by every kind of access token Parapet issues (service-account
 * client-credentials tokens, user access tokens).
 */
export interface TokenKeys {
  /** The key to sign with now. */
  signingKey(): PeriodKey;
  /** The key named `kid` if verification accepts it now: the current period's or the previous one's. */
  verificationKey(kid: string): PeriodKey | undefined;
  /** What `/.well-known/jwks.json` publishes: previous, current and next period's public keys. */
  published(): PeriodKey[];
  /** Length of one period in milliseconds. */
  readonly periodMs: number;
}

export function createTokenKeys(deps: { keyring: Keyring; clock: Clock; rotationDays: number }): TokenKeys {
  const periodMs = deps.rotationDays * 86_400_000;
  const base = deps.keyring.derive('access-token-signing');
  const cache = new Map<number, PeriodKey>();

  function keyFor(period: number): PeriodKey {
    const cached = cache.get(period);
    if (cached !== undefined) return cached;
    // HKDF-Expand per period (RFC 5869): info names the period length and number, so periods of
    // different lengths never share a key.
    const seed = Buffer.from(hkdfSync('sha256', base, Buffer.alloc(0), Buffer.from(`parapet/access-token/${deps.rotationDays}d/${period}`), 32));
    const der = Buffer.concat([PKCS8_SEED_PREFIX, seed]);
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    seed.fill(0);
    const publicKey = createPublicKey(privateKey);
    const start = new Date(period * periodMs).toISOString().slice(0, 10).replaceAll('-', '');
    const kid = `at-${start}-${deps.rotationDays}d`;
    const jwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: ACCESS_TOKEN_ALG, use: 'sig' };
    const key = Object.freeze({ kid, period, privateKey, publicKey, jwk: Object.freeze(jwk) });
    if (cache.size >= 8) {
      const oldest = Math.min(...cache.keys());
      cache.delete(oldest);
    }
    cache.set(period, key);
    return key;
  }

  const periodAt = (ms: number) => Math.floor(ms / periodMs);

  return {
    periodMs,
    signingKey: () => keyFor(periodAt(deps.clock.now().getTime() - SIGNING_DELAY_MS)),
    verificationKey: (kid) => {
      const current = periodAt(deps.clock.now().getTime());
      for (const period of [current, current - 1]) {
        const key = keyFor(period);
        if (key.kid === kid) return key;
      }
      return undefined;
    },
    published: () => {
      const current = periodAt(deps.clock.now().getTime());
      return [keyFor(current), keyFor(current - 1), keyFor(current + 1)];
    },
  };
}
