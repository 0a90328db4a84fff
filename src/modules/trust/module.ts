import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { defineModule } from '../contract.ts';
import { TRUST_AUDIT_ACTIONS } from './audit-actions.ts';
import { createCheckRunner, type CheckRunner } from './check-runner.ts';
import { platformLogCheck } from './checks/audit-checks.ts';
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
  dependsOn: ['audit', 'keys', 'alerts', 'lifecycle', 'subscriptions'],
  tables: {
    trust_check_results: { scope: 'platform', reason: 'Results of checks of the deployment as a whole (catalogue, key provider, TLS, platform log); no tenant data.' },
    trust_entries: { scope: 'platform', reason: 'What the operator publishes on the public trust center.' },
    trust_canary: { scope: 'tenant' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  auditActions: TRUST_AUDIT_ACTIONS,
  options: TRUST_OPTIONS,
  create: async (ctx, { audit, keys, alerts, lifecycle, subscriptions }) => {
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
    ];
    // The runner is created first (the center reads its results); new results then refresh the center's pages.
    const onResults: { invalidate?: () => void } = {};
    const runner = createCheckRunner({ transactor, clock, random, logger, audit: audit.recorder, alerts, alertOrganization: config.trustAlertOrganization, checks, onResults: () => { onResults.invalidate?.(); } });
    const securityTxtSigner = config.securityPgpKeyFile === undefined ? undefined : await loadSecurityTxtSigner(config.securityPgpKeyFile, config.securityPgpPassphrase);
    const trustCenter = createTrustCenter({ config, transactor, clock, signer: audit.signer, runner, securityTxtSigner, subscribeForm: subscriptions.subscribeForm('subprocessors', []) });
    // TR-3: subprocessor changes go to the `subprocessors` topic's subscribers, in the transaction of the change.
    const publish: PublishSubprocessorNotice = (tx, notice, actx) => subscriptions.service.publish(tx, { topic: 'subprocessors', link: `${subscriptions.publicUrl}/trust/subprocessors`, ...notice }, actx);
    onResults.invalidate = trustCenter.invalidate;
    return {
      api: { runner, center: trustCenter },
      routes: () => {
        registerTrustRoutes(ctx.http, trustCenter);
        registerTrustAdminRoutes(ctx.http, { transactor, clock, random, audit: audit.recorder, runner, changed: trustCenter.invalidate, publish });
        registerOscalRoute(ctx.http, { evidence: trustCenter.evidence, title: config.trustName, publicUrl: config.publicUrl });
        registerOrgViewRoutes(ctx.http, { view: createOrgView({ checks: issue20.perOrganization, clock, signer: audit.signer }), transactor, random, audit: audit.recorder });
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
                return 0;
              },
            }),
        },
      ],
    };
  },
});
