export { createClientsService, OAUTH_TOPIC, CLIENT_SECRET_PREFIX, type ClientsService } from './clients-service.ts';
export { registerClientsRoutes } from './clients-routes.ts';
export { createTokenService, ACCESS_TOKEN_TTL_S, type TokenService, type OAuthEndpoints, type TokenResponse } from './token-service.ts';
export { registerTokenRoutes, TOKEN_PATH, METADATA_PATH } from './token-routes.ts';
export { createServiceAccountTokenKind, tenantGroup, type ServiceAccountTokenKind } from './service-account-token-kind.ts';
export { JWT_BEARER_ASSERTION_TYPE } from './client-credentials.ts';
export type { OAuthTables } from './oauth-tables.ts';

export { oauthEndpoints } from '../tokens/index.ts';
export { oauthModule } from './module.ts';
export { OAUTH_AUDIT_ACTIONS } from './audit-actions.ts';
