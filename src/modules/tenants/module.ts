import { defineModule } from '../contract.ts';
import { TENANTS_AUDIT_ACTIONS } from './audit-actions.ts';
import { TENANTS_ERRORS } from './errors.ts';
import { tenancyOperations } from './tenancy-operations.ts';
import { registerTenantsRoutes } from './tenants-routes.ts';
import { createTenantsService, type TenantsService } from './tenants-service.ts';
import { TENANTS_OPTIONS } from './options.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    tenants: TenantsService;
  }
}

export const tenantsModule = defineModule({
  name: 'tenants',
  summary: 'Organizations, memberships, projects and environments; deleting any of them is a risky write (AC-7).',
  dependsOn: ['audit', 'access', 'access-requests', 'lifecycle'],
  tables: {
    organizations: { scope: 'tenant' },
    memberships: { scope: 'tenant' },
    projects: { scope: 'tenant' },
    environments: { scope: 'tenant' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: TENANTS_ERRORS,
  auditActions: TENANTS_AUDIT_ACTIONS,
  options: TENANTS_OPTIONS,
  create: (ctx, deps) => {
    const tenants = createTenantsService({
      transactor: ctx.transactor,
      clock: ctx.clock,
      random: ctx.random,
      audit: deps.audit.recorder,
      access: { changed: (tx, tenantId) => deps.access.control.changed(tx, tenantId), grantCreator: (tx, tenantId, userId, now) => deps.access.grantCreator(tx, tenantId, userId, now) },
      // Issue 14: who may create organizations, and how many each user may have, is a platform setting.
      creation: { creators: ctx.config.organizationCreators, perUser: ctx.config.organizationsPerUser },
    });
    const riskyWrites = deps['access-requests'].riskyWrites;
    // DATA-3: an approved organization deletion starts its grace period instead of deleting at once.
    for (const operation of tenancyOperations(tenants, { scheduleOrganizationDeletion: deps.lifecycle.deletions.requestOrganizationDeletionIn })) riskyWrites.register(operation);
    return {
      api: tenants,
      routes: (http) => {
        registerTenantsRoutes(http, tenants, riskyWrites.gate);
      },
    };
  },
});
