export { createTenantsService, type TenantsService } from './tenants-service.ts';
export { registerTenantsRoutes, type DeletionGate } from './tenants-routes.ts';
export type { TenantsTables } from './tenants-tables.ts';
export { tenantsModule } from './module.ts';
export { tenancyOperations } from './tenancy-operations.ts';
export { insertMembership } from './tenants-store.ts';
