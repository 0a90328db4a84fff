import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { defineModule } from '../contract.ts';
import { INCIDENTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { INCIDENTS_ERRORS } from './errors.ts';
import type { Tx } from '../../database.ts';
import type { AuditContext } from '../audit/index.ts';
import { createIncidents, type Incidents, type StatusNotice } from './incidents-service.ts';
import { registerIncidentRoutes } from './incidents-routes.ts';
import { INCIDENTS_OPTIONS } from './options.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    incidents: Incidents;
  }
}

export const INCIDENT_CLOCKS_LOCK_KEY = 7450104052;
/** How often the leader looks for overdue clocks; the shortest clock is one hour. */
const ESCALATION_INTERVAL_MS = 60_000;

const PLATFORM_REASON = 'Incidents are about the deployment as a whole and shown on its one public status page; managed by platform administrators only.';

export const incidentsModule = defineModule({
  name: 'incidents',
  summary: 'Incidents (NIST SP 800-61r3 phases, severity, timeline) with customer-notice, GDPR Art. 33 and NIS2 clocks, overdue alerts, and the public status page at /status.',
  dependsOn: ['audit', 'alerts', 'subscriptions'],
  tables: {
    status_components: { scope: 'platform', reason: PLATFORM_REASON },
    incidents: { scope: 'platform', reason: PLATFORM_REASON },
    incident_entries: { scope: 'platform', reason: PLATFORM_REASON },
    incident_clocks: { scope: 'platform', reason: PLATFORM_REASON },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: INCIDENTS_ERRORS,
  auditActions: INCIDENTS_AUDIT_ACTIONS,
  options: INCIDENTS_OPTIONS,
  create: (ctx, { audit, alerts, subscriptions }) => {
    const { config, transactor, clock, random, logger } = ctx;
    // Status-page notices go to the `status` topic's subscribers, in the transaction of the change.
    const publish = (tx: Tx, notice: StatusNotice, actx: AuditContext) => subscriptions.service.publish(tx, { topic: 'status', link: `${subscriptions.publicUrl}/status`, ...notice }, actx);
    const incidents = createIncidents({ transactor, clock, random, audit: audit.recorder, alerts, alertOrganization: config.incidentAlertOrganization, logger, publish });
    subscriptions.service.setComponentSource(async () => (await incidents.publicView()).components.map((c) => ({ id: c.id, name: c.name })));
    return {
      api: incidents,
      routes: (http) => {
        registerIncidentRoutes(http, { incidents, clock, subscribeForm: (components) => subscriptions.subscribeForm('status', components) });
      },
      jobs: [
        {
          name: 'incident clocks',
          start: () =>
            startLeaderLoop({ db: ctx.db, lockKey: INCIDENT_CLOCKS_LOCK_KEY, name: 'incident clocks', logger, idleMs: ESCALATION_INTERVAL_MS, pass: async () => { await incidents.escalateOverdue(); return 0; } }),
        },
      ],
    };
  },
});
