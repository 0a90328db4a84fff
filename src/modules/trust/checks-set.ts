import type { Config } from '../../config/index.ts';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { AuditSigner } from '../audit/index.ts';
import type { LifecycleRun } from '../lifecycle/index.ts';
import { acrossOrganizations } from './checks-across.ts';
import { accountDeletionGraceCheck, databaseTlsCheck, lastPurgeCheck } from './checks-deployment.ts';
import { accessReviewAgeCheck, apiKeyAgeCheck, auditRetentionCheck, deletionGraceCheck, encryptedColumnsCheck, mfaCoverageCheck, orgLogCheck, tenantKeyAgeCheck, type OrgCheck } from './checks-organization.ts';
import { incrementalLogCheck } from './checks/incremental-log-check.ts';
import type { TrustCheck } from './checks/trust-check.ts';


/**
 * The checks of issue 20, item 2: the organization checks (each evaluated for one organization in
 * its own view, and across every organization for the public control) and the deployment's own.
 */
export function organizationChecks(deps: {
  config: Pick<Config, 'keyRotationDays' | 'auditRetentionDays' | 'databaseUrl' | 'databaseCaFile'>;
  transactor: AppTransactor;
  clock: Clock;
  signer: Pick<AuditSigner, 'verifiers'>;
  lifecycleRuns: () => Promise<readonly LifecycleRun[]>;
}): { perOrganization: readonly OrgCheck[]; deployment: readonly TrustCheck[] } {
  const { config, transactor, clock } = deps;
  const encryption = encryptedColumnsCheck({ transactor });
  const keyAge = tenantKeyAgeCheck({ transactor, rotationDays: config.keyRotationDays });
  const mfa = mfaCoverageCheck({ transactor });
  const apiKeys = apiKeyAgeCheck({ transactor });
  const review = accessReviewAgeCheck({ transactor });
  const logs = orgLogCheck({ transactor, signer: deps.signer });
  const retention = auditRetentionCheck({ transactor, defaultDays: config.auditRetentionDays });
  const deletion = deletionGraceCheck({ transactor });
  const across = (check: OrgCheck, options: { perRun?: number; includePlatform?: boolean } = {}) => acrossOrganizations(check, { transactor, clock, ...options });
  return {
    perOrganization: [mfa, keyAge, apiKeys, review, logs, retention, deletion, encryption],
    deployment: [
      across(encryption, { includePlatform: true }),
      across(keyAge, { includePlatform: true }),
      databaseTlsCheck({ transactor, config }),
      across(mfa),
      across(apiKeys),
      across(review),
      // AUD-2: incremental from each organization's last verified checkpoint, a full pass daily.
      incrementalLogCheck({ transactor, clock, signer: deps.signer }),
      across(retention),
      lastPurgeCheck({ runs: deps.lifecycleRuns, clock }),
      across(deletion),
      accountDeletionGraceCheck({ transactor, clock }),
    ],
  };
}
