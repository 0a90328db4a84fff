import { defineModule } from '../contract.ts';
import { DISCLOSURE_AUDIT_ACTIONS } from './audit-actions.ts';
import { registerDisclosureRoutes } from './disclosure-routes.ts';
import { createDisclosureService, type DisclosureService } from './disclosure-service.ts';
import { DISCLOSURE_ERRORS } from './errors.ts';

/** Vulnerability disclosure (VDP-2, VDP-3). */
export interface DisclosureApi {
  readonly service: DisclosureService;
}

declare module '../contract.ts' {
  interface ModuleApis {
    disclosure: DisclosureApi;
  }
}

export const disclosureModule = defineModule({
  name: 'disclosure',
  summary: 'Vulnerability disclosure: the public policy page, intake verified by a mailed link (reports encrypted), the researcher portal, triage with CVSS 3.1 severity and deadlines.',
  dependsOn: ['audit', 'keys'],
  tables: {
    disclosure_reports: { scope: 'platform', reason: 'Vulnerability reports about the deployment, from outside researchers; under the platform tenant, no organization\u2019s data.' },
    disclosure_tokens: { scope: 'platform', reason: 'Single-use links mailed to researchers (no accounts).' },
    disclosure_policy: { scope: 'platform', reason: 'The published disclosure policy of the deployment.' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: DISCLOSURE_ERRORS,
  auditActions: DISCLOSURE_AUDIT_ACTIONS,
  create: (ctx, { audit, keys }) => {
    const service = createDisclosureService({ transactor: ctx.transactor, clock: ctx.clock, random: ctx.random, audit: audit.recorder, fields: keys.fields, mail: ctx.mail });
    return {
      api: { service },
      routes: () => {
        registerDisclosureRoutes(ctx.http, { service, now: () => ctx.clock.now() });
      },
    };
  },
});
