export { createTenantsService, type TenantsService } from './tenants-service.ts';
export { registerTenantsRoutes, type DeletionGate } from './tenants-routes.ts';
export type { TenantsTables } from './tenants-tables.ts';
export { tenantsModule } from './module.ts';
export { tenancyOperations } from './tenancy-operations.ts';
export { TENANTS_ERRORS } from './errors.ts';
export { TENANTS_AUDIT_ACTIONS } from './audit-actions.ts';
export { insertMembership, deleteMembership, deleteOrganization } from './tenants-store.ts';
export * as tenancy from './tenancy-reads.ts';
