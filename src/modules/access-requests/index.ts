export { createAccessRequestsService, visibleStatus, BREAK_GLASS_MAX_MINUTES, type AccessRequestsService, type AccessRequestInput } from './access-requests-service.ts';
export { registerAccessRequestRoutes } from './access-requests-routes.ts';
export { createRiskyWrites, type RiskyWrites, type RiskyOperation, type RiskyWriteGate } from './risky-writes.ts';
export { registerRiskyWriteRoutes } from './risky-writes-routes.ts';
export type { AccessRequestsTables } from './access-requests-tables.ts';
export { accessRequestsModule, type AccessRequestsApi } from './module.ts';
export { ACCESS_REQUESTS_SECTION, RISKY_WRITES_SECTION, accessRequestsPersonalData, riskyWritesPersonalData } from './access-requests-personal-data.ts';
export { ACCESS_REQUESTS_ERRORS } from './errors.ts';
export { ACCESS_REQUESTS_AUDIT_ACTIONS } from './audit-actions.ts';
