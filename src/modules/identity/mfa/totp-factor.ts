import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import { FieldDecryptionError } from '../../keys/index.ts';
import { jsonBytes, jsonDate, type SecondFactor } from './factor-registry.ts';
import { totpFactorValid, type FactorIntegrity } from './factor-integrity.ts';
import { consumeTotpStep, findConfirmedTotp } from './mfa-store.ts';
import { base32Decode, matchTotp } from './totp.ts';
import type { TotpSecretBox } from './totp-secret-box.ts';

/**
 * The `totp` second factor (RFC 6238): a six-digit code from an authenticator app, valid ±1 step
 * of 30 s, each accepted once per factor. amr `otp` (RFC 8176: one-time password).
 */
export function createTotpFactor(deps: { transactor: AppTransactor; clock: Clock; box: TotpSecretBox; integrity: FactorIntegrity }): SecondFactor {
  const { transactor, clock, box, integrity } = deps;
  return {
    kind: 'totp',
    primary: true,
    enrolledQuery: (tx, userId) => tx.selectFrom('totp_factors').select(['id', 'user_id', 'created_at', 'integrity_mac']).where('user_id', '=', userId).where('confirmed_at', 'is not', null),
    enrolledValid: (row) => totpFactorValid(integrity, { id: String(row['id']), user_id: String(row['user_id']), created_at: jsonDate(row['created_at']), integrity_mac: jsonBytes(row['integrity_mac']) }),
    verify: async ({ userId, proof }) => {
      const code = proof.code;
      if (code === undefined) return undefined;
      const factor = await transactor.withPlatform((tx) => findConfirmedTotp(tx, integrity, userId));
      if (factor === undefined) return undefined;
      const step = await matchingStep(box, factor.id, factor.secret_sealed, code, clock.now(), factor.last_used_step);
      if (step === undefined) return undefined;
      // The step is recorded only if still later than the last one used: a concurrent request
      // with the same code finds it taken and fails.
      const consumed = await transactor.withPlatform((tx) => consumeTotpStep(tx, factor.id, step, clock.now(), false));
      return consumed ? { amr: ['otp'] } : undefined;
    },
  };
}

/** The time step `code` matches for a sealed seed, or undefined (also for a seed that does not decrypt here). */
export async function matchingStep(box: TotpSecretBox, factorId: string, sealed: string, code: string, now: Date, lastUsedStep: string | number | bigint | null): Promise<bigint | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  let secret: string;
  try {
    secret = await box.open(factorId, sealed);
  } catch (error) {
    // A seed moved from another row (or tampered with) never verifies.
    if (error instanceof FieldDecryptionError) return undefined;
    throw error;
  }
  const key = base32Decode(secret);
  try {
    return matchTotp(key, code, now, lastUsedStep === null ? null : BigInt(lastUsedStep));
  } finally {
    key.fill(0);
  }
}
