export { createTokenKeys, ACCESS_TOKEN_ALG, SIGNING_DELAY_MS, type TokenKeys, type PeriodKey } from './token-keys.ts';
export { signAccessToken, ACCESS_TOKEN_TYP, type AccessTokenClaims } from './sign-access-token.ts';
export { verifyAccessToken, AccessTokenError, type VerifiedAccessToken } from './verify-access-token.ts';
export { registerJwksRoute, JWKS_PATH } from './jwks-route.ts';
