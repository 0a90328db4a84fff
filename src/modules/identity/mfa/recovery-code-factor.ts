import type { AppTransactor } from '../../../database.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { AuditRecorder } from '../../audit/index.ts';
import { PLATFORM_TENANT_ID } from '../../audit/index.ts';
import { jsonBytes, jsonDate, type SecondFactor } from './factor-registry.ts';
import { recoveryCodeValid, type FactorIntegrity } from './factor-integrity.ts';
import { consumeRecoveryCode, countUnusedRecoveryCodes } from './mfa-store.ts';
import { hashRecoveryCode, looksLikeRecoveryCode } from './recovery-codes.ts';

/**
 * The `recovery_code` second factor: one of the ten single-use codes issued with MFA. A
 * look-up secret (NIST SP 800-63B §5.1.2); RFC 8176 registers no value for those, so it adds amr
 * `otp` like TOTP (it is a one-time password) and the audit event names the method.
 */
export function createRecoveryCodeFactor(deps: { transactor: AppTransactor; clock: Clock; audit: Pick<AuditRecorder, 'recordForUser'>; integrity: FactorIntegrity }): SecondFactor {
  const { transactor, clock, audit, integrity } = deps;
  return {
    kind: 'recovery_code',
    primary: false,
    enrolledQuery: (tx, userId) => tx.selectFrom('mfa_recovery_codes').select(['user_id', 'code_hash', 'created_at', 'integrity_mac']).where('user_id', '=', userId).where('used_at', 'is', null),
    enrolledValid: (row) => {
      const codeHash = jsonBytes(row['code_hash']);
      return codeHash !== null && recoveryCodeValid(integrity, { user_id: String(row['user_id']), code_hash: codeHash, created_at: jsonDate(row['created_at']), integrity_mac: jsonBytes(row['integrity_mac']) });
    },
    verify: async ({ userId, proof }) => {
      if (proof.code === undefined || !looksLikeRecoveryCode(proof.code)) return undefined;
      const hash = hashRecoveryCode(proof.code);
      return transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        // One statement marks it used only if it was unused: a code works once, even under races.
        if (!(await consumeRecoveryCode(tx, integrity, userId, hash, clock.now()))) return undefined;
        const remaining = await countUnusedRecoveryCodes(tx, integrity, userId);
        await audit.recordForUser(tx, userId, [{
          action: 'mfa.recovery_code_used',
          actor: { type: 'user', id: userId, display_name: null },
          outcome: 'success',
          targets: [{ type: 'user', id: userId }],
          metadata: { remaining },
        }]);
        return { amr: ['otp'] };
      });
    },
  };
}
