export { openidModule, type OpenIdApi } from './module.ts';
export type { OpenIdTables } from './openid-tables.ts';
export { DISCOVERY_PATH } from './mount-provider.ts';
export { INTERACTION_PATH, OIDC_ROUTES } from './openid-provider.ts';
export { OPENID_AUDIT_ACTIONS } from './audit-actions.ts';
