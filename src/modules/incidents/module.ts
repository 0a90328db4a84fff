import { readFileSync } from 'node:fs';
import { Gauge } from 'prom-client';
import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { createAddressGuard } from '../audit-streaming/index.ts';
import { defineModule } from '../contract.ts';
import { INCIDENTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { INCIDENTS_ERRORS } from './errors.ts';
import type { Tx } from '../../database.ts';
import type { AuditContext } from '../audit/index.ts';
import type { MembersService } from '../members/index.ts';
import { createIncidents, type Incidents, type StatusNotice } from './incidents-service.ts';
import { registerIncidentRoutes } from './incidents-routes.ts';
import { INCIDENTS_OPTIONS } from './options.ts';
import { createIncidentLinks } from './incident-links.ts';
import { registerIncidentLinkRoutes } from './incident-links-routes.ts';
import { createIncidentReviews, type IncidentReviews } from './incident-reviews.ts';
import { registerReviewRoutes } from './review-routes.ts';
import { createStatusChecks, type StatusChecks } from './status-checks.ts';
import { registerStatusCheckRoutes } from './status-check-routes.ts';
import { httpCheck, ProbeError, smtpGreeting, type ProbeTargets } from './status-probes.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { sql } from 'kysely';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

declare module '../contract.ts' {
  interface ModuleApis {
    incidents: Incidents & { readonly reviews: IncidentReviews; readonly checks: StatusChecks };
  }
}

export const INCIDENT_CLOCKS_LOCK_KEY = 7450104052;
/** The leader that sends queued escalations (mail, webhook) and retries them. */
export const INCIDENT_ESCALATIONS_LOCK_KEY = 7450104072;
/** How often the leader looks for clocks that warn or are overdue; the shortest configurable clock is one minute. */
const ESCALATION_INTERVAL_MS = 30_000;
const ESCALATION_DELIVERY_INTERVAL_MS = 10_000;
/** The leader that runs the status checks (built-in probes, HTTP checks). */
export const STATUS_CHECKS_LOCK_KEY = 7450104113;
const STATUS_CHECKS_INTERVAL_MS = 10_000;

const PLATFORM_REASON = 'Incidents are about the deployment as a whole and shown on its one public status page; managed by platform administrators only.';

/** The addresses of the users holding Tenant Admin over the whole organization, through the members module's listing. */
async function tenantAdminAddresses(members: MembersService, tenantId: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await members.list(tenantId, { after, limit: 200 }, true);
    for (const m of page.slice(0, 200)) if (m.details?.roles.some((r) => r.role === 'tenant_admin' && r.projectId === null && r.conditions === null)) out.push(m.email);
    if (page.length <= 200) return out;
    after = page[199]?.id;
  }
}

export const incidentsModule = defineModule({
  name: 'incidents',
  summary: 'Incidents (NIST SP 800-61r3 phases, configurable severities, roles, timeline) with customer-notice, GDPR Art. 33, NIS2, DPDP and CERT-In clocks, warnings and escalations by mail and signed webhook, notices to affected organizations, and the public status page at /status (groups, maintenance, 90-day history).',
  dependsOn: ['audit', 'alerts', 'subscriptions', 'members', 'keys'],
  tables: {
    status_components: { scope: 'platform', reason: PLATFORM_REASON },
    status_component_changes: { scope: 'platform', reason: PLATFORM_REASON },
    status_maintenances: { scope: 'platform', reason: PLATFORM_REASON },
    status_checks: { scope: 'platform', reason: 'Probes of the deployment\u2019s own parts and the operator\u2019s HTTP checks behind the one public status page; platform administrators only.' },
    incident_reviews: { scope: 'platform', reason: PLATFORM_REASON },
    incident_review_actions: { scope: 'platform', reason: PLATFORM_REASON },
    incident_notice_templates: { scope: 'platform', reason: 'The operator\u2019s notice texts, the same for every affected organization; platform administrators only.' },
    incidents: { scope: 'platform', reason: PLATFORM_REASON },
    incident_entries: { scope: 'platform', reason: PLATFORM_REASON },
    incident_clocks: { scope: 'platform', reason: PLATFORM_REASON },
    incident_escalations: { scope: 'platform', reason: 'Escalations of incident clocks to the operator\u2019s own contacts (mail, webhook); platform administrators only.' },
    incident_notices: { scope: 'tenant' },
    incident_links: { scope: 'platform', reason: 'Links from incidents to organizations\u2019 security alerts and audit events (ids and a label); platform administrators only.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: INCIDENTS_ERRORS,
  auditActions: INCIDENTS_AUDIT_ACTIONS,
  options: INCIDENTS_OPTIONS,
  create: (ctx, { audit, alerts, subscriptions, members, keys }) => {
    const { config, transactor, clock, random, logger } = ctx;
    if ((config.incidentEscalationWebhookUrl === undefined) !== (config.incidentEscalationWebhookSecret === undefined)) {
      throw new Error('PARAPET_INCIDENT_ESCALATION_WEBHOOK_URL and PARAPET_INCIDENT_ESCALATION_WEBHOOK_SECRET must be set together');
    }
    // Status-page notices go to the `status` topic's subscribers, in the transaction of the change.
    const publish = (tx: Tx, notice: StatusNotice, actx: AuditContext) => subscriptions.service.publish(tx, { topic: 'status', link: `${subscriptions.publicUrl}/status`, ...notice }, actx);
    const webhook =
      config.incidentEscalationWebhookUrl === undefined || config.incidentEscalationWebhookSecret === undefined
        ? undefined
        : {
            url: config.incidentEscalationWebhookUrl,
            secret: config.incidentEscalationWebhookSecret,
            guard: createAddressGuard(config.incidentEscalationWebhookAllowedNetworks),
            caPem: config.incidentEscalationWebhookCaFile === undefined ? null : readFileSync(config.incidentEscalationWebhookCaFile, 'utf8'),
          };
    const incidents = createIncidents({
      transactor, clock, random, audit: audit.recorder, alerts, alertOrganization: config.incidentAlertOrganization, logger, publish,
      severities: config.incidentSeverities, regimes: config.incidentBreachRegimes, customerBreachHours: config.incidentCustomerBreachHours,
      escalation: { emails: config.incidentEscalationEmails, webhook }, mail: ctx.mail, organizationAdmins: (tenantId) => tenantAdminAddresses(members, tenantId),
      businessHours: {
        clocks: config.incidentBusinessHoursClocks,
        calendar: { weekendDays: [0, 1, 2, 3, 4, 5, 6].filter((d) => !config.incidentWorkingDays.includes(d)), holidays: config.incidentHolidays, timeZone: config.incidentTimeZone, workingHours: config.incidentWorkingHours },
      },
    });
    const reviews = createIncidentReviews({ transactor, clock, random, audit: audit.recorder });
    // The API probe asks this server's own router for /healthz, in process (set once routes are registered).
    let server: FastifyInstance | undefined;
    const redis = ctx.redis;
    const probes: ProbeTargets = {
      api: async () => {
        const res = await server?.inject({ method: 'GET', url: '/healthz' });
        if (res?.statusCode !== 200) throw new ProbeError(res === undefined ? 'not_started' : `http_${res.statusCode}`);
      },
      database: async () => {
        await transactor.withPlatform((tx) => sql`select 1`.execute(tx));
      },
      redis: redis === undefined ? undefined : async () => {
        await redis.client.ping();
      },
      mail: config.smtpHost === undefined ? undefined : smtpGreeting({ host: config.smtpHost, port: config.smtpPort, tls: config.smtpTls, caPem: config.smtpCaFile === undefined ? null : readFileSync(config.smtpCaFile, 'utf8'), timeoutMs: 10_000 }),
      // A data key generated and unwrapped again: the provider (local keyring or KMS) answers and agrees with itself.
      key_provider: async () => {
        const context = { tenantId: PLATFORM_TENANT_ID, keyVersion: 0 };
        const { plaintext, wrapped } = await keys.provider.generateDataKey(context);
        const back = await keys.provider.unwrap(wrapped, context);
        const same = back.length === plaintext.length && timingSafeEqual(back, plaintext);
        plaintext.fill(0);
        back.fill(0);
        if (!same) throw new ProbeError('round_trip_mismatch');
      },
      http: httpCheck({ guard: createAddressGuard(config.statusCheckAllowedNetworks), caPem: config.statusCheckCaFile === undefined ? null : readFileSync(config.statusCheckCaFile, 'utf8'), timeoutMs: 10_000 }),
    };
    const checks = createStatusChecks({ transactor, clock, random, audit: audit.recorder, logger, probes, guard: createAddressGuard(config.statusCheckAllowedNetworks) });
    subscriptions.service.setComponentSource(async () => (await incidents.publicView()).components.map((c) => ({ id: c.id, name: c.name })));
    // IR-2, IR-3: every unmet clock on /metrics, read from the database at each scrape.
    new Gauge({
      name: 'parapet_incident_clock_seconds_left',
      help: 'Seconds until each unmet incident clock is due (negative when overdue), by incident and clock.',
      labelNames: ['incident_id', 'clock', 'state'],
      registers: [ctx.metrics.registry],
      async collect() {
        this.reset();
        try {
          for (const c of await incidents.openClocks()) this.set({ incident_id: c.incident_id, clock: c.clock, state: c.state }, c.seconds_left ?? 0);
        } catch (error) {
          logger.warn({ err: error }, 'could not read the incident clocks');
        }
      },
    });
    new Gauge({
      name: 'parapet_incident_clocks',
      help: 'Unmet incident clocks by state (pending, warning, overdue).',
      labelNames: ['state'],
      registers: [ctx.metrics.registry],
      async collect() {
        try {
          const clocks = await incidents.openClocks();
          for (const state of ['pending', 'warning', 'overdue']) this.set({ state }, clocks.filter((c) => c.state === state).length);
        } catch (error) {
          logger.warn({ err: error }, 'could not read the incident clocks');
        }
      },
    });
    return {
      api: { ...incidents, reviews, checks },
      routes: (http) => {
        server = http;
        registerIncidentRoutes(http, { incidents, clock, subscribeForm: (components) => subscriptions.subscribeForm('status', components) });
        registerIncidentLinkRoutes(http, { links: createIncidentLinks({ transactor, clock, random, audit: audit.recorder, incidents, alerts, events: audit.service }) });
        registerReviewRoutes(http, { reviews, clock });
        registerStatusCheckRoutes(http, { checks });
      },
      jobs: [
        {
          name: 'incident clocks',
          start: () =>
            startLeaderLoop({ db: ctx.db, lockKey: INCIDENT_CLOCKS_LOCK_KEY, name: 'incident clocks', logger, idleMs: ESCALATION_INTERVAL_MS, pass: async () => { await incidents.escalateOverdue(); return 0; } }),
        },
        {
          name: 'incident escalations',
          start: () =>
            startLeaderLoop({ db: ctx.db, lockKey: INCIDENT_ESCALATIONS_LOCK_KEY, name: 'incident escalations', logger, idleMs: ESCALATION_DELIVERY_INTERVAL_MS, pass: () => incidents.deliverEscalations() }),
        },
        {
          name: 'status checks',
          start: () => startLeaderLoop({ db: ctx.db, lockKey: STATUS_CHECKS_LOCK_KEY, name: 'status checks', logger, idleMs: STATUS_CHECKS_INTERVAL_MS, pass: () => checks.runDue() }),
        },
      ],
    };
  },
});
