import { readFileSync } from 'node:fs';
import { Counter, Gauge } from 'prom-client';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { PLATFORM_TENANT_ID, SYSTEM_ACTOR, type AuditContext } from '../audit/index.ts';
import { createAddressGuard } from '../audit-streaming/index.ts';
import { defineModule } from '../contract.ts';
import { createAlertDelivery, type AlertDelivery, type AlertRoutes } from './alert-deliveries.ts';
import { registerAlertRuleRoutes } from './alert-rules-routes.ts';
import { ALERTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { ALERTS_OPTIONS } from './options.ts';
import { createSecurityAlerts, type SecurityAlerts } from './security-alerts.ts';
import { ALERTS_RETENTION } from './retention.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    alerts: SecurityAlerts & { readonly delivery: AlertDelivery };
  }
}

/** Advisory lock of the leader that sends alert deliveries (mail, webhook). */
export const ALERT_DELIVERY_LOCK_KEY = 7450104111;
const DELIVERY_INTERVAL_MS = 10_000;
const SYSTEM: AuditContext = { userId: '', actor: SYSTEM_ACTOR, source: { ip: null, user_agent: null, request_id: null } };

export const alertsModule = defineModule({
  name: 'alerts',
  summary: 'Security alerts (IR-5): rules with thresholds, windows and severities over the signals other modules raise (lockouts, refresh-token reuse, break-glass, authorization-denial spikes, audit verification, trust checks, key-provider errors, expiring SSO certificates), deduplicated per window, routed by mail and signed webhook, listed and acknowledged per organization.',
  dependsOn: ['audit', 'keys'],
  tables: {
    security_alerts: { scope: 'tenant' },
    security_alert_signals: { scope: 'tenant' },
    security_alert_rules: { scope: 'platform', reason: "The deployment's alert rules (platform administrators' overrides of the built-in defaults); no tenant data." },
    security_alert_deliveries: { scope: 'platform', reason: "Routing of new alerts to the operator's own contacts (mail, webhook): ids, kind and severity only; platform administrators only." },
  },
  migrations: new URL('./migrations/', import.meta.url),
  retention: ALERTS_RETENTION,
  auditActions: ALERTS_AUDIT_ACTIONS,
  options: ALERTS_OPTIONS,
  create: (ctx, { audit, keys }) => {
    const { config, logger } = ctx;
    if ((config.alertsWebhookUrl === undefined) !== (config.alertsWebhookSecret === undefined)) {
      throw new Error('PARAPET_ALERTS_WEBHOOK_URL and PARAPET_ALERTS_WEBHOOK_SECRET must be set together');
    }
    const routes: AlertRoutes = {
      mailTo: config.alertsMailTo,
      mailMinSeverity: config.alertsMailMinSeverity,
      webhook:
        config.alertsWebhookUrl === undefined || config.alertsWebhookSecret === undefined
          ? undefined
          : {
              url: config.alertsWebhookUrl,
              secret: config.alertsWebhookSecret,
              minSeverity: config.alertsWebhookMinSeverity,
              guard: createAddressGuard(config.alertsWebhookAllowedNetworks),
              caPem: config.alertsWebhookCaFile === undefined ? null : readFileSync(config.alertsWebhookCaFile, 'utf8'),
            },
    };
    const raised = new Counter({ name: 'parapet_security_alerts_raised_total', help: 'Security alerts raised (new alerts, not repeated signals within a window), by kind and severity.', labelNames: ['kind', 'severity'], registers: [ctx.metrics.registry] });
    const alerts = createSecurityAlerts({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, logger, routes, onRaised: (kind, severity) => { raised.inc({ kind, severity }); } });
    const delivery = createAlertDelivery({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, logger, routes, mail: ctx.mail });

    // IR-5 signals seen in the audit log as it is written. Authorization denials count in the
    // organization whose log records them, in the same transaction.
    audit.recorder.observe('authz.denied', async (tx, tenantId) => {
      if (tenantId === PLATFORM_TENANT_ID) return;
      await alerts.raise(tx, tenantId, SYSTEM, {
        kind: 'authorization_denial_spike',
        summary: "Authorization denials in this organization reached the rule's threshold within its window: see the alert's occurrences and the audit log (authz.denied).",
        actorId: null,
        subject: { type: 'organization', id: tenantId },
      });
    });
    // Lockouts are the deployment's (the platform log's copy): counted in the alert organization.
    const org = config.alertsOrganization;
    audit.recorder.observe('session.locked_out', async (tx, tenantId) => {
      if (tenantId !== PLATFORM_TENANT_ID || org === undefined) return;
      alerts.raiseAfterCommit(tx, org, {
        kind: 'lockouts',
        summary: "Accounts were locked out after repeated failed sign-ins, reaching the rule's threshold within its window (credential stuffing or password spraying): see the platform audit log (session.locked_out).",
        actorId: null,
        subject: { type: 'organization', id: org },
      });
    });
    keys.onProviderError((operation) => {
      if (org === undefined) {
        logger.error({ operation, kind: 'key_provider_error' }, 'key provider error (no PARAPET_ALERTS_ORGANIZATION for an alert)');
        return;
      }
      alerts.track(alerts.raiseNow(org, { kind: 'key_provider_error', summary: `The root key provider failed a ${operation} call (ENC-2): encryption of fields and key maintenance may be failing.`, actorId: null, subject: { type: 'organization', id: org } }));
    });

    new Gauge({
      name: 'parapet_security_alert_deliveries_pending',
      help: 'Security-alert deliveries (mail, webhook) queued and not yet delivered or given up.',
      registers: [ctx.metrics.registry],
      async collect() {
        try {
          this.set(await delivery.pendingCount());
        } catch (error) {
          logger.warn({ err: error }, 'could not count the security-alert deliveries');
        }
      },
    });

    return {
      api: Object.assign(alerts, { delivery }),
      routes: (http) => {
        registerAlertRuleRoutes(http, { transactor: ctx.transactor, clock: ctx.clock, audit: audit.recorder, delivery });
      },
      jobs: [
        {
          name: 'security alert deliveries',
          start: () => startLeaderLoop({ db: ctx.db, lockKey: ALERT_DELIVERY_LOCK_KEY, name: 'security alert deliveries', logger, idleMs: DELIVERY_INTERVAL_MS, pass: () => delivery.deliver() }),
        },
      ],
      close: () => alerts.settled(),
    };
  },
});
