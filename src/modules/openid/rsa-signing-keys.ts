import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { openField, parseField, sealField } from '../../platform/crypto/field-format.ts';
import type { Logger } from 'pino';

/** RSA modulus length: 3072 bits (NIST SP 800-57 Part 1 §5.6.1: 128-bit security strength). */
export const RSA_MODULUS_BITS = 3072;

/** One rotation period's RSA key pair (RS256). */
export interface RsaPeriodKey {
  /** `rs-<first day, UTC, YYYYMMDD>-<period length>d`. */
  readonly kid: string;
  readonly period: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** The keys the provider holds for one signing period: `current` signs; `others` still verify (JWKS). */
export interface RsaKeySet {
  readonly current: RsaPeriodKey;
  readonly others: readonly RsaPeriodKey[];
}

export interface RsaSigningKeys {
  /**
   * The keys of signing period `period` (the tokens module's period numbering): that period's key
   * (generated and stored by the first node that needs it), the previous period's if it exists, and
   * the next period's — generated in the background when missing, so it is published a period
   * ahead of signing once it exists.
   */
  forPeriod(period: number): Promise<RsaKeySet>;
}

const generate = promisify(generateKeyPair);
const TABLE = 'oidc_rsa_signing_keys';

/**
 * RS256 signing keys of the OpenID Provider, rotated on the Ed25519 keys' periods. Stored sealed
 * (AES-256-GCM, keyring-derived key, associated data naming the kid): never in the clear.
 */
export function createRsaSigningKeys(deps: { transactor: AppTransactor; clock: Clock; sealingKey: Buffer; periodMs: number; logger: Pick<Logger, 'error'> }): RsaSigningKeys {
  const periodDays = Math.round(deps.periodMs / 86_400_000);
  const cache = new Map<number, Promise<RsaPeriodKey | undefined>>();
  const kidOf = (period: number) => `rs-${new Date(period * deps.periodMs).toISOString().slice(0, 10).replaceAll('-', '')}-${periodDays}d`;
  const context = (kid: string) => ({ tenantId: 'platform', table: TABLE, column: 'sealed_private_key', rowId: kid });

  const toKey = (period: number, kid: string, sealed: string): RsaPeriodKey => {
    const der = openField(deps.sealingKey, parseField(sealed), context(kid));
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    return Object.freeze({ kid, period, privateKey, publicKey: createPublicKey(privateKey) });
  };

  const read = (period: number) =>
    deps.transactor.withPlatform((tx) => tx.selectFrom(TABLE).select(['kid', 'sealed_private_key']).where('period_days', '=', periodDays).where('period', '=', period).executeTakeFirst());

  /** The stored key of `period`; with `create`, generated and stored first when there is none. */
  const load = async (period: number, create: boolean): Promise<RsaPeriodKey | undefined> => {
    const existing = await read(period);
    if (existing !== undefined) return toKey(period, existing.kid, existing.sealed_private_key);
    if (!create) return undefined;
    const kid = kidOf(period);
    const { privateKey } = await generate('rsa', { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001 });
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const sealed = sealField(deps.sealingKey, 1, randomBytes(12), der, context(kid));
    der.fill(0);
    // Another node may have stored this period's key meanwhile: its row wins, ours is dropped.
    await deps.transactor.withPlatform((tx) => tx.insertInto(TABLE).values({ period_days: periodDays, period, kid, sealed_private_key: sealed, created_at: deps.clock.now() }).onConflict((oc) => oc.doNothing()).execute());
    const stored = await read(period);
    return stored === undefined ? undefined : toKey(period, stored.kid, stored.sealed_private_key);
  };

  /** One lookup per period and node; a failed or absent lookup is tried again next time. */
  const cached = (period: number, create: boolean): Promise<RsaPeriodKey | undefined> => {
    const hit = cache.get(period);
    if (hit !== undefined) return hit;
    const pending = load(period, create);
    cache.set(period, pending);
    pending.then(
      (key) => {
        if (key === undefined) cache.delete(period);
      },
      () => cache.delete(period),
    );
    if (cache.size > 8) cache.delete(Math.min(...cache.keys()));
    return pending;
  };

  const retire = (period: number) =>
    // Keys two periods old verify nothing any more (tokens live far less than a period).
    deps.transactor.withPlatform((tx) => tx.deleteFrom(TABLE).where('period_days', '=', periodDays).where('period', '<', period - 1).execute());

  let retiredBefore: number | undefined;
  return {
    forPeriod: async (period) => {
      const current = await cached(period, true);
      if (current === undefined) throw new Error('the RSA signing key of the current period could not be stored');
      const previous = await cached(period - 1, false);
      // The next key is generated off the request path; it joins the set once it exists.
      const nextPending = cached(period + 1, true);
      const next = await Promise.race([nextPending, Promise.resolve(undefined)]);
      nextPending.catch((error: unknown) => {
        deps.logger.error({ err: error }, 'generating the next RSA signing key failed');
      });
      if (retiredBefore !== period) {
        retiredBefore = period;
        retire(period).catch((error: unknown) => {
          deps.logger.error({ err: error }, 'retiring old RSA signing keys failed');
        });
      }
      return { current, others: [previous, next].filter((key): key is RsaPeriodKey => key !== undefined) };
    },
  };
}
