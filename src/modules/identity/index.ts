export { createPasswordHasher, ARGON2_PARAMS, type PasswordHasher } from './password-hasher.ts';
export { checkNewPassword, PASSWORD_MAX_LENGTH } from './password-policy.ts';
export { createSessionService, type Principal, type SessionService, type SessionTimeouts } from './session-service.ts';
export { createLoginService, type LoginService } from './login-service.ts';
export { createSetupService, SETUP_LINK_TTL_MS, type SetupService } from './setup-service.ts';
export { auditActor, auditContext, registerAuthentication, requestSource, requirePrincipal, requireUser, sessionCookieFor, type Authenticator, type SessionCookie } from './authenticate.ts';
export { registerIdentityRoutes } from './identity-routes.ts';
export { insertUser, findUserByEmail, normalizeEmail, type UserRow } from './identity-store.ts';
export type { IdentityTables } from './identity-tables.ts';
