import { accessRequestsPersonalData, riskyWritesPersonalData } from './access-requests-personal-data.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { defineModule } from '../contract.ts';
import { isActivePlatformOperator } from '../identity/index.ts';
import { ACCESS_REQUESTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { ACCESS_REQUESTS_ERRORS } from './errors.ts';
import { registerAccessRequestRoutes } from './access-requests-routes.ts';
import { createAccessRequestsService, type AccessRequestsService } from './access-requests-service.ts';
import { registerRiskyWriteRoutes } from './risky-writes-routes.ts';
import { createRiskyWrites, type RiskyWrites } from './risky-writes.ts';
import { ACCESS_REQUESTS_RETENTION } from './retention.ts';
import { ACCESS_REQUESTS_OPTIONS } from './options.ts';

/** Just-in-time access and break-glass (AC-4, AC-6), and approval of risky writes (AC-7). */
export interface AccessRequestsApi {
  readonly requests: AccessRequestsService;
  /** Modules register the operations that need a second person (`register`) and guard their routes with `gate`. */
  readonly riskyWrites: RiskyWrites;
}

declare module '../contract.ts' {
  interface ModuleApis {
    'access-requests': AccessRequestsApi;
  }
}

export const accessRequestsModule = defineModule({
  name: 'access-requests',
  summary: 'Just-in-time access requests, break-glass, and approvals of risky writes by a second person.',
  dependsOn: ['audit', 'identity', 'access', 'alerts'],
  tables: {
    access_requests: { scope: 'tenant' },
    organization_settings: { scope: 'tenant' },
    risky_write_approvals: { scope: 'tenant' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: ACCESS_REQUESTS_ERRORS,
  auditActions: ACCESS_REQUESTS_AUDIT_ACTIONS,
  personalData: (ctx) => [accessRequestsPersonalData(ctx), riskyWritesPersonalData(ctx)],
  retention: ACCESS_REQUESTS_RETENTION,
  options: ACCESS_REQUESTS_OPTIONS,
  create: (ctx, { audit, identity, access, alerts }) => {
    const { transactor, clock, random, logger } = ctx;
    const riskyWrites = createRiskyWrites({ transactor, clock, random, audit: audit.recorder, access: access.control, coolingOffMinutes: ctx.config.riskyWriteCoolingOffMinutes });
    const requests = createAccessRequestsService({ transactor, clock, random, audit: audit.recorder, access: access.control, accessService: access.service, alerts, logger, maxMinutes: ctx.config.jitMaxHours * 60, isPlatformOperator: (userId) => isActivePlatformOperator(ctx.transactor, identity.integrity, userId) });
    return {
      api: { requests, riskyWrites },
      routes: (http) => {
        registerAccessRequestRoutes(http, { service: requests, alerts, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
        registerRiskyWriteRoutes(http, { riskyWrites, actorOf: auditActor, sourceOf: requestSource, now: () => clock.now() });
      },
    };
  },
});
