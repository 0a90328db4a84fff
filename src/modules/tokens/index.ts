export { createTokenKeys, ACCESS_TOKEN_ALG, SIGNING_DELAY_MS, type TokenKeys, type PeriodKey } from './token-keys.ts';
export { signAccessToken, ACCESS_TOKEN_TYP, type AccessTokenClaims } from './sign-access-token.ts';
export { verifyAccessToken, AccessTokenError, type VerifiedAccessToken } from './verify-access-token.ts';
export { registerJwksRoute, JWKS_PATH } from './jwks-route.ts';
export { createUserTokens, USER_ACCESS_TOKEN_TTL_S, REFRESH_TOKEN_PREFIX, type UserTokens, type UserTokenPair, type UserTokenSettings } from './user-tokens-service.ts';
export { createUserTokenAuthenticator, type UserTokenAuthenticator } from './user-token-authenticator.ts';
export { createVerifiedTokenCache, assertInScope, singleFlight, type VerifiedToken, type VerifiedTokenCache, type PendingVerification } from './verified-token-cache.ts';
export { registerUserTokenRoutes, UserTokenPairSchema, USER_TOKEN_PATH, USER_TOKEN_REVOKE_PATH } from './user-tokens-routes.ts';
export type { UserTokensTables } from './user-tokens-tables.ts';
