import type { AppTransactor } from '../../../database.ts';
import { PLATFORM_TENANT_ID, verifyDatabaseLog, type AuditSigner } from '../../audit/index.ts';
import { fail, pass, type TrustCheck } from './trust-check.ts';

/**
 * AUD-2: the platform audit log, as stored, verifies against its signed checkpoints up to now:
 * every leaf rehashed, seq continuity, every checkpoint's signature and root (the check results
 * themselves are recorded in this log).
 */
export function platformLogCheck(deps: { transactor: AppTransactor; signer: AuditSigner }): TrustCheck {
  return {
    id: 'aud.platform-log',
    claims: ['AUD-2'],
    title: 'The platform audit log verifies against its signed checkpoints, every entry rehashed.',
    run: async () => {
      const report = await verifyDatabaseLog({ transactor: deps.transactor }, PLATFORM_TENANT_ID, { verifiers: deps.signer.verifiers, threads: 0, pendingWaitMs: 3000 });
      if (!report.ok) {
        const kinds = [...new Set(report.damage.map((d) => d.kind))].join(', ');
        return fail('The platform audit log did not verify against its signed checkpoints.', `${report.damage.length} problem(s): ${kinds}`);
      }
      return pass(`The platform audit log verified: ${report.events} entries against ${report.checkpointsVerified} signed checkpoint(s).`, `seq ${report.firstSeq}…${report.lastSeq}, proved size ${String(report.provedSize)}`);
    },
  };
}
