export { ssoModule, type SsoApi } from './module.ts';
export type { SsoTables } from './sso-tables.ts';
export { type ConnectionsService, type ConnectionView, type DomainView } from './connections-service.ts';
export { type SignInService } from './sign-in-service.ts';
export { SSO_ERRORS } from './errors.ts';
export { SSO_AUDIT_ACTIONS } from './audit-actions.ts';
