import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { defineModule } from '../contract.ts';
import { INCIDENTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { INCIDENTS_ERRORS } from './errors.ts';
import { createIncidents, type Incidents } from './incidents-service.ts';
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
  dependsOn: ['audit', 'alerts'],
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
  create: (ctx, { audit, alerts }) => {
    const { config, transactor, clock, random, logger } = ctx;
    const incidents = createIncidents({ transactor, clock, random, audit: audit.recorder, alerts, alertOrganization: config.incidentAlertOrganization, logger });
    return {
      api: incidents,
      routes: () => {
        registerIncidentRoutes(ctx.http, { incidents, clock });
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
