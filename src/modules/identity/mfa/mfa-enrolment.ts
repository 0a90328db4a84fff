import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import { uuidv7, type Random } from '../../../platform/crypto/random.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditRecorder } from '../../audit/index.ts';
import { countUnusedRecoveryCodes, consumeTotpStep, deleteRecoveryCodes, deleteTotpFactors, findConfirmedTotp, findPendingTotp, insertTotpFactor, replaceRecoveryCodes } from './mfa-store.ts';
import { hashRecoveryCode, newRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.ts';
import { base32Encode, provisioningUri, TOTP_SECRET_BYTES } from './totp.ts';
import { matchingStep } from './totp-factor.ts';
import type { TotpSecretBox } from './totp-secret-box.ts';
import type { FactorIntegrity } from './factor-integrity.ts';

export interface MfaStatus {
  readonly totp: { readonly confirmedAt: Date } | null;
  readonly recoveryCodesRemaining: number;
}

export interface MfaEnrolment {
  /** Starts TOTP enrolment: a new seed, pending until confirmed. `conflict` if one is confirmed already. */
  startTotp(user: { id: string; email: string }): Promise<{ factorId: string; secret: string; uri: string }>;
  /**
   * Confirms the pending TOTP factor with a first valid code (`invalid_mfa_code` otherwise). Returns
   * fresh recovery codes when the user held none (shown once, stored hashed).
   */
  confirmTotp(userId: string, code: string, ctx: AuditContext): Promise<{ recoveryCodes: string[] | undefined }>;
  /** Removes the user's TOTP factor (and, with no second factor left, their recovery codes). */
  removeTotp(userId: string, ctx: AuditContext): Promise<void>;
  /** Replaces the user's recovery codes with ten new ones; the old ones stop working. Needs MFA. */
  regenerateRecoveryCodes(userId: string, ctx: AuditContext): Promise<string[]>;
  status(userId: string): Promise<MfaStatus>;
}

/**
 * TOTP enrolment and recovery codes (AUTH-2). Enrolment needs a valid first code, so a seed the
 * user's app never received cannot lock them out; the seed is sealed before it is stored.
 */
export function createMfaEnrolment(deps: { transactor: AppTransactor; clock: Clock; random: Random; box: TotpSecretBox; audit: Pick<AuditRecorder, 'recordForUser'>; integrity: FactorIntegrity; issuer: string; hasOtherPrimaryFactor?: (userId: string) => Promise<boolean> }): MfaEnrolment {
  const { transactor, clock, random, box, audit, integrity } = deps;

  function newCodes(): { codes: string[]; hashes: Buffer[] } {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode(random));
    return { codes, hashes: codes.map(hashRecoveryCode) };
  }

  return {
    startTotp: async (user) => {
      if ((await transactor.withPlatform((tx) => findConfirmedTotp(tx, integrity, user.id))) !== undefined) {
        throw new AppError('conflict', { detail: 'An authenticator app is already set up; remove it first.' });
      }
      const factorId = uuidv7(clock, random);
      const seed = random(TOTP_SECRET_BYTES);
      const secret = base32Encode(seed);
      seed.fill(0);
      const sealed = await box.seal(factorId, secret);
      await transactor.withPlatform((tx) => insertTotpFactor(tx, integrity, { id: factorId, userId: user.id, secretSealed: sealed, now: clock.now() }));
      return { factorId, secret, uri: provisioningUri({ secret, issuer: deps.issuer, account: user.email }) };
    },
    confirmTotp: async (userId, code, ctx) => {
      const pending = await transactor.withPlatform((tx) => findPendingTotp(tx, integrity, userId));
      if (pending === undefined) throw new AppError('not_found', { detail: 'No authenticator app enrolment is waiting for confirmation.' });
      const step = await matchingStep(box, pending.id, pending.secret_sealed, code, clock.now(), pending.last_used_step);
      if (step === undefined) throw new AppError('invalid_mfa_code');
      const fresh = newCodes();
      const issued = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        // The first code is consumed too: it cannot be replayed at the next sign-in.
        if (!(await consumeTotpStep(tx, pending.id, step, clock.now(), true))) throw new AppError('invalid_mfa_code');
        const hadCodes = (await countUnusedRecoveryCodes(tx, integrity, userId)) > 0;
        if (!hadCodes) await replaceRecoveryCodes(tx, integrity, userId, fresh.hashes, clock.now());
        // Second-factor changes go to the user's organizations' logs too (issue 14 part 5).
        await audit.recordForUser(tx, userId, [
          { action: 'mfa.factor_enrolled', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'user', id: userId }], metadata: { method: 'totp', factor_id: pending.id } },
          ...(hadCodes ? [] : [{ action: 'mfa.recovery_codes_generated' as const, actor: ctx.actor, outcome: 'success' as const, source: ctx.source, targets: [{ type: 'user', id: userId }], metadata: { count: RECOVERY_CODE_COUNT } }]),
        ]);
        return !hadCodes;
      });
      return { recoveryCodes: issued ? fresh.codes : undefined };
    },
    removeTotp: async (userId, ctx) => {
      const otherFactor = (await deps.hasOtherPrimaryFactor?.(userId)) ?? false;
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const removed = await deleteTotpFactors(tx, userId);
        if (removed === 0) throw new AppError('not_found', { detail: 'No authenticator app is set up.' });
        // Recovery codes back up a second factor; with none left they would be a password substitute.
        if (!otherFactor) await deleteRecoveryCodes(tx, userId);
        await audit.recordForUser(tx, userId, [{ action: 'mfa.factor_removed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'user', id: userId }], metadata: { method: 'totp' } }]);
      });
    },
    regenerateRecoveryCodes: async (userId, ctx) => {
      const hasTotp = (await transactor.withPlatform((tx) => findConfirmedTotp(tx, integrity, userId))) !== undefined;
      if (!hasTotp && !((await deps.hasOtherPrimaryFactor?.(userId)) ?? false)) throw new AppError('conflict', { detail: 'Set up a second factor first.' });
      const fresh = newCodes();
      await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        await replaceRecoveryCodes(tx, integrity, userId, fresh.hashes, clock.now());
        await audit.recordForUser(tx, userId, [{ action: 'mfa.recovery_codes_generated', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'user', id: userId }], metadata: { count: RECOVERY_CODE_COUNT } }]);
      });
      return fresh.codes;
    },
    status: (userId) =>
      transactor.withPlatform(async (tx) => {
        const totp = await findConfirmedTotp(tx, integrity, userId);
        return { totp: totp?.confirmed_at == null ? null : { confirmedAt: totp.confirmed_at }, recoveryCodesRemaining: await countUnusedRecoveryCodes(tx, integrity, userId) };
      }),
  };
}
