// The Parapet SDK for integrating apps: access-token verification, local permission decisions and request signing for API keys.
export { createLocalAuthorizer, type LocalAuthorizer, type LocalAuthorizerOptions, type Subject, type Decision, type Permission, type SerializedSnapshot } from './authz.ts';
export { signRequest, canonicalRequest, canonicalQuery, bodyDigest, computeSignature, SIGNATURE_ALGORITHM, TIMESTAMP_HEADER, SIGNATURE_HEADER, MAX_CLOCK_SKEW_SECONDS, type SignRequestOptions, type SignedHeaders } from './signing.ts';
export { createTokenVerifier, parapetAuth, TokenVerificationError, type TokenVerifier, type TokenVerifierOptions, type VerifiedToken, type ParapetAuthOptions } from './token-verifier.ts';
export { ACCESS_TOKEN_MAX_LIFETIME_SECONDS, ACCESS_TOKEN_CLOCK_SKEW_SECONDS } from './token-times.ts';
export { parapetExpress, type ParapetExpressOptions, type ParapetRequest } from './express.ts';
