import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { defineModule } from '../contract.ts';
import { TRUST_AUDIT_ACTIONS } from './audit-actions.ts';
import { alertLapsingAttestations, registerAttestationRoutes } from './attestations.ts';
import { TRUST_ERRORS } from './errors.ts';
import { registerFaqCsvRoute } from './faq-csv.ts';
import { registerNdaRoutes } from './nda-routes.ts';
import { createNdaService, type NdaService } from './nda-service.ts';
import { ndaPersonalData, TRUST_RETENTION } from './nda-personal-data.ts';
import { createCheckRunner, type CheckRunner } from './check-runner.ts';
import { platformLogCheck } from './checks/audit-checks.ts';
import { backupCheck } from './checks/backup-check.ts';
import { lockoutCheck, passwordPolicyCheck } from './checks/authentication-checks.ts';
import { keyProviderCheck, tlsCheck } from './checks/encryption-checks.ts';
import { canaryCheck, forcedRlsCheck } from './checks/tenant-isolation-checks.ts';
import { organizationChecks } from './checks-set.ts';
import { createOrgView, registerOrgViewRoutes } from './org-view.ts';
import { registerOscalRoute } from './oscal.ts';
import { loadSecurityTxtSigner } from './security-txt.ts';
import { registerTrustAdminRoutes } from './trust-admin-routes.ts';
import { createTrustCenter, type TrustCenter } from './trust-center.ts';
import { registerTrustRoutes } from './trust-routes.ts';
import { TRUST_OPTIONS } from './options.ts';
import type { PublishSubprocessorNotice } from './subprocessor-notices.ts';

/** The trust center (TR-1…TR-5, VDP-1). */
export interface TrustApi {
  readonly runner: CheckRunner;
  readonly center: TrustCenter;
  /** Documents under NDA (TR-2). */
  readonly nda: NdaService;
}

declare module '../contract.ts' {
  interface ModuleApis {
    trust: TrustApi;
  }
}

export const TRUST_CHECKS_LOCK_KEY = 7450104053;

export const trustModule = defineModule({
  name: 'trust',
  summary: 'The public trust center: controls from the claims catalogue bound to scheduled live checks, signed evidence, certifications, documents, subprocessors, FAQ, security.txt.',
  dependsOn: ['audit', 'keys', 'alerts', 'lifecycle', 'subscriptions', 'sso'],
  tables: {
    trust_check_results: { scope: 'platform', reason: 'Results of checks of the deployment as a whole (catalogue, key provider, TLS, platform log); no tenant data.' },
    trust_entries: { scope: 'platform', reason: 'What the operator publishes on the public trust center.' },
    trust_canary: { scope: 'tenant' },
    trust_log_positions: { scope: 'tenant' },
    trust_nda_versions: { scope: 'platform', reason: 'The versions of the click-through NDA of documents under NDA (TR-2); never edited.' },
    trust_nda_documents: { scope: 'platform', reason: 'Encrypted PDFs published under NDA by the operator, under the platform tenant.' },
    trust_nda_requests: { scope: 'platform', reason: 'Visitors\u2019 requests for documents under NDA (no accounts, no organization\u2019s data), under the platform tenant.' },
    trust_nda_tokens: { scope: 'platform', reason: 'Single-use links mailed to NDA requesters (no accounts).' },
    trust_nda_allowed_domains: { scope: 'platform', reason: 'Email domains whose NDA requesters are approved by rule.' },
    trust_attestations: { scope: 'platform', reason: 'Organizational controls the operator attests to (owner, date, evidence, review interval); no tenant data.' },
    trust_attestation_files: { scope: 'platform', reason: 'Encrypted evidence files of attestations, under the platform tenant.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  auditActions: TRUST_AUDIT_ACTIONS,
  // DATA-2 and DATA-1 for NDA requesters (no account): their requests by address, and the retention purge.
  personalData: (ctx) => [ndaPersonalData(ctx)],
  retention: TRUST_RETENTION,
  options: TRUST_OPTIONS,
  errors: TRUST_ERRORS,
  create: async (ctx, { audit, keys, alerts, lifecycle, subscriptions, sso }) => {
    const { config, transactor, clock, random, logger } = ctx;
    const issue20 = organizationChecks({ config, transactor, clock, signer: audit.signer, lifecycleRuns: lifecycle.runs });
    const checks = [
      forcedRlsCheck({ transactor, platformTables: async () => (await import('../../schema.ts')).PLATFORM_TABLES }),
      canaryCheck({ transactor, clock, random }),
      keyProviderCheck({ provider: keys.provider }),
      tlsCheck({ publicUrl: config.publicUrl }),
      platformLogCheck({ transactor, signer: audit.signer }),
      passwordPolicyCheck(config),
      lockoutCheck(config),
      ...issue20.deployment,
      backupCheck({ transactor, clock, maxBackupAgeHours: config.trustBackupMaxAgeHours, maxRestoreAgeDays: config.trustRestoreTestMaxAgeDays }),
    ];
    // The runner is created first (the center reads its results); new results then refresh the center's pages.
    const onResults: { invalidate?: () => void } = {};
    const runner = createCheckRunner({ transactor, clock, random, logger, audit: audit.recorder, alerts, alertOrganization: config.trustAlertOrganization, checks, onResults: () => { onResults.invalidate?.(); } });
    const securityTxtSigner = config.securityPgpKeyFile === undefined ? undefined : await loadSecurityTxtSigner(config.securityPgpKeyFile, config.securityPgpPassphrase);
    const trustCenter = createTrustCenter({ config, transactor, clock, signer: audit.signer, runner, securityTxtSigner, subscribeForm: subscriptions.subscribeForm('subprocessors', []) });
    // TR-3: subprocessor changes go to the `subprocessors` topic's subscribers, in the transaction of the change.
    const publish: PublishSubprocessorNotice = (tx, notice, actx) => subscriptions.service.publish(tx, { topic: 'subprocessors', link: `${subscriptions.publicUrl}/trust/subprocessors`, ...notice }, actx);
    onResults.invalidate = trustCenter.invalidate;
    const nda = createNdaService({ transactor, clock, random, audit: audit.recorder, fields: keys.fields, mail: ctx.mail, organizationOfVerifiedDomain: sso.connections.organizationOfVerifiedDomain });
    return {
      api: { runner, center: trustCenter, nda },
      routes: async (http) => {
        registerTrustRoutes(http, trustCenter);
        registerTrustAdminRoutes(http, { transactor, clock, random, audit: audit.recorder, runner, changed: trustCenter.invalidate, publish });
        registerOscalRoute(http, { evidence: trustCenter.evidence, title: config.trustName, publicUrl: config.publicUrl });
        registerOrgViewRoutes(http, { view: createOrgView({ checks: issue20.perOrganization, clock, signer: audit.signer }), transactor, random, audit: audit.recorder });
        await registerNdaRoutes(http, { service: nda, brand: config.trustName });
        registerFaqCsvRoute(http, { transactor });
        await registerAttestationRoutes(http, {
          transactor,
          clock,
          random,
          audit: audit.recorder,
          branding: { name: config.trustName, logoUrl: config.trustLogoUrl, statusUrl: config.trustStatusUrl, disclosureUrl: config.trustDisclosureUrl },
          fields: keys.fields,
          changed: trustCenter.invalidate,
        });
      },
      jobs: [
        {
          name: 'trust checks',
          start: () =>
            startLeaderLoop({
              db: ctx.db,
              lockKey: TRUST_CHECKS_LOCK_KEY,
              name: 'trust checks',
              logger,
              idleMs: config.trustCheckIntervalMinutes * 60_000,
              pass: async () => {
                await runner.runAll();
                // Attestations about to lapse raise a security alert, once per review period.
                await alertLapsingAttestations({ transactor, clock, alerts, organization: config.trustAlertOrganization, days: config.trustAttestationAlertDays }).catch((error: unknown) => {
                  logger.error({ err: error }, 'attestation lapse alerts could not be raised');
                });
                return 0;
              },
            }),
        },
      ],
    };
  },
});
