export { createTenantsService, type TenantsService } from './tenants-service.ts';
export { registerTenantsRoutes, type DeletionGate } from './tenants-routes.ts';
export type { TenantsTables } from './tenants-tables.ts';
