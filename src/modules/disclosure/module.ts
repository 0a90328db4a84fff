import { defineModule } from '../contract.ts';
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
}

declare module '../contract.ts' {
  interface ModuleApis {
    disclosure: DisclosureApi;
  }
}

export const disclosureModule = defineModule({
  name: 'disclosure',
  summary: 'Vulnerability disclosure: the public policy page, intake verified by a mailed link (reports encrypted), the researcher portal (session, conversation, attachments, disclosure date), triage with CVSS 3.1 severity and deadlines.',
  dependsOn: ['audit', 'keys'],
  tables: {
    disclosure_reports: { scope: 'platform', reason: 'Vulnerability reports about the deployment, from outside researchers; under the platform tenant, no organization\u2019s data.' },
    disclosure_tokens: { scope: 'platform', reason: 'Single-use links mailed to researchers (no accounts).' },
    disclosure_policy: { scope: 'platform', reason: 'The published disclosure policy of the deployment.' },
    disclosure_portal_sessions: { scope: 'platform', reason: 'Researcher portal sessions, opened by a mailed link and bound to the reporter\u2019s address (no accounts).' },
    disclosure_messages: { scope: 'platform', reason: 'The conversation between a reporter and the platform\u2019s triagers about a report.' },
    disclosure_attachments: { scope: 'platform', reason: 'Files attached to vulnerability reports, encrypted under the platform tenant\u2019s key.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: DISCLOSURE_ERRORS,
  auditActions: DISCLOSURE_AUDIT_ACTIONS,
  create: (ctx, { audit, keys }) => {
    const base = { transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, fields: keys.fields };
    const service = createDisclosureService({ ...base, mail: ctx.mail });
    const portal = createPortalService(base);
    const attachments = createAttachmentsService({ ...base, portal });
    const cookie = portalCookieFor(ctx.config.publicUrl);
    return {
      api: { service, portal, attachments },
      routes: (http) => {
        const routeDeps = { service, portal, attachments, cookie, now: () => ctx.clock.now() };
        registerDisclosureRoutes(http, routeDeps);
        registerPortalRoutes(http, routeDeps);
      },
    };
  },
});
