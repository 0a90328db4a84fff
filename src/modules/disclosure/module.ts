import { startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import { AppError } from '../../platform/http/errors.ts';
import { defineModule } from '../contract.ts';
import { isActivePlatformOperator } from '../identity/index.ts';
import { createAdvisories, type Advisories } from './advisories.ts';
import { createClockSweep } from './clock-sweep.ts';
import { DISCLOSURE_OPTIONS } from './options.ts';
import { registerProgramRoutes } from './program-routes.ts';
import { DISCLOSURE_AUDIT_ACTIONS } from './audit-actions.ts';
import { registerDisclosureRoutes } from './disclosure-routes.ts';
import { createDisclosureService, type DisclosureService } from './disclosure-service.ts';
import { DISCLOSURE_ERRORS } from './errors.ts';
import { createAttachmentsService, type AttachmentsService } from './attachments-service.ts';
import { portalCookieFor, registerPortalRoutes } from './portal-routes.ts';
import { createPortalService, type PortalService } from './portal-service.ts';

/** Vulnerability disclosure (VDP-2, VDP-3). */
export interface DisclosureApi {
  readonly service: DisclosureService;
  readonly portal: PortalService;
  readonly attachments: AttachmentsService;
  readonly advisories: Advisories;
  /** Raises the due reminders and overdue escalations once each; the leader runs it every minute. */
  readonly sweepClocks: () => Promise<number>;
}

/** The leader lock of the reminder and escalation loop (one node sweeps at a time). */
export const DISCLOSURE_CLOCKS_LOCK_KEY = 7450104071;
const SWEEP_INTERVAL_MS = 60_000;

declare module '../contract.ts' {
  interface ModuleApis {
    disclosure: DisclosureApi;
  }
}

export const disclosureModule = defineModule({
  name: 'disclosure',
  summary: 'Vulnerability disclosure: the public policy page, intake verified by a mailed link (reports encrypted), the researcher portal (session, conversation, attachments, disclosure date, credit), triage with CVSS 3.1/4.0 severity, assignee, incident links, bounty and deadlines with reminders and escalation, acknowledgments, advisories and CSAF 2.0.',
  dependsOn: ['audit', 'keys', 'alerts', 'identity', 'incidents'],
  tables: {
    disclosure_reports: { scope: 'platform', reason: 'Vulnerability reports about the deployment, from outside researchers; under the platform tenant, no organization\u2019s data.' },
    disclosure_tokens: { scope: 'platform', reason: 'Single-use links mailed to researchers (no accounts).' },
    disclosure_policy: { scope: 'platform', reason: 'The published disclosure policy of the deployment.' },
    disclosure_portal_sessions: { scope: 'platform', reason: 'Researcher portal sessions, opened by a mailed link and bound to the reporter\u2019s address (no accounts).' },
    disclosure_messages: { scope: 'platform', reason: 'The conversation between a reporter and the platform\u2019s triagers about a report.' },
    disclosure_attachments: { scope: 'platform', reason: 'Files attached to vulnerability reports, encrypted under the platform tenant\u2019s key.' },
    disclosure_settings: { scope: 'platform', reason: 'The disclosure program\u2019s settings (business calendar, fix days), one for the deployment.' },
    disclosure_clock_events: { scope: 'platform', reason: 'The history of vulnerability reports\u2019 clocks; reports are platform-level.' },
    disclosure_advisories: { scope: 'platform', reason: 'Security advisories about the deployment, published for everyone.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: DISCLOSURE_ERRORS,
  auditActions: DISCLOSURE_AUDIT_ACTIONS,
  options: DISCLOSURE_OPTIONS,
  create: (ctx, { audit, keys, alerts, identity, incidents }) => {
    const base = { transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, fields: keys.fields };
    const incidentLinks = {
      exists: async (id: string) => {
        try {
          await incidents.get(id);
          return true;
        } catch (error) {
          if (error instanceof AppError && error.code === 'not_found') return false;
          throw error;
        }
      },
      open: async (actx: Parameters<typeof incidents.open>[0], input: { title: string; severity: 'critical' | 'high' | 'medium' | 'low' }) => (await incidents.open(actx, input)).id,
    };
    const service = createDisclosureService({ ...base, mail: ctx.mail, isOperator: (userId) => isActivePlatformOperator(ctx.transactor, identity.integrity, userId), incidents: incidentLinks });
    const advisories = createAdvisories({ ...base, publicUrl: ctx.config.publicUrl });
    const sweepClocks = createClockSweep({ ...base, alerts, alertOrganization: ctx.config.disclosureAlertOrganization, logger: ctx.logger });
    const portal = createPortalService(base);
    const attachments = createAttachmentsService({ ...base, portal });
    const cookie = portalCookieFor(ctx.config.publicUrl);
    return {
      api: { service, portal, attachments, advisories, sweepClocks },
      routes: (http) => {
        const routeDeps = { service, portal, attachments, cookie, now: () => ctx.clock.now() };
        registerDisclosureRoutes(http, routeDeps);
        registerPortalRoutes(http, routeDeps);
        registerProgramRoutes(http, { ...routeDeps, advisories, page: (reply, body, status = 200) => reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body) });
      },
      jobs: [
        {
          name: 'disclosure clocks',
          start: () => startLeaderLoop({ db: ctx.db, lockKey: DISCLOSURE_CLOCKS_LOCK_KEY, name: 'disclosure clocks', logger: ctx.logger, idleMs: SWEEP_INTERVAL_MS, pass: async () => { await sweepClocks(); return 0; } }),
        },
      ],
    };
  },
});
