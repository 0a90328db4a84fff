import { createUserLookups } from '../identity/index.ts';
import { userTokensPersonalData } from './user-tokens-personal-data.ts';
import { defineModule } from '../contract.ts';
import { TOKENS_AUDIT_ACTIONS } from './audit-actions.ts';
import { TOKENS_ERRORS } from './errors.ts';
import { oauthEndpoints, type OAuthEndpoints } from './endpoints.ts';
import { registerJwksRoute } from './jwks-route.ts';
import { createTokenKeys, type TokenKeys } from './token-keys.ts';
import { createBearerAuthenticator, type BearerAuthenticator } from './bearer-authenticator.ts';
import { createUserTokenKind } from './user-token-kind.ts';
import { registerUserTokenRoutes } from './user-tokens-routes.ts';
import { createUserTokens, type UserTokens } from './user-tokens-service.ts';
import { keyExistingRefreshDigests } from './user-tokens-store.ts';
import { createVerifiedTokenCache, type VerifiedTokenCache } from './verified-token-cache.ts';
import { TOKENS_OPTIONS } from './options.ts';

/** Signed access tokens and rotating refresh tokens for API clients (AUTH-5). */
export interface TokensApi {
  /** Signing keys, rotated; published at /.well-known/jwks.json. */
  readonly keys: TokenKeys;
  readonly userTokens: UserTokens;
  /** Verified bearer tokens of every kind (user tokens here, client-credentials tokens in oauth). */
  readonly cache: VerifiedTokenCache;
  /** The one bearer-token authenticator; other modules add their kinds of token with `accept`. */
  readonly bearer: BearerAuthenticator;
  readonly endpoints: OAuthEndpoints;
}

declare module '../contract.ts' {
  interface ModuleApis {
    tokens: TokensApi;
  }
}

export const tokensModule = defineModule({
  name: 'tokens',
  summary: 'EdDSA access tokens with rotating signing keys and JWKS, refresh-token families with reuse detection, bearer authentication.',
  dependsOn: ['audit', 'identity', 'alerts'],
  tables: { refresh_tokens: { scope: 'platform', reason: "API clients' refresh tokens are bound to a platform-level session; no tenant's data (AUTH-5)." } },
  migrations: new URL('./migrations/', import.meta.url),
  errors: TOKENS_ERRORS,
  auditActions: TOKENS_AUDIT_ACTIONS,
  personalData: (ctx) => [userTokensPersonalData({ transactor: ctx.transactor, users: createUserLookups(ctx.transactor) })],
  options: TOKENS_OPTIONS,
  create: async (ctx, { audit, identity, alerts }) => {
    const { config, transactor, clock } = ctx;
    // Issue 13, property 2: refresh-token digests from before migration 0096 are keyed once.
    await keyExistingRefreshDigests(transactor, identity.integrity, clock.now());
    const keys = createTokenKeys({ keyring: ctx.keyring, clock, rotationDays: config.tokenKeyRotationDays });
    const endpoints = oauthEndpoints(config.publicUrl);
    const cache = createVerifiedTokenCache({ clock });
    const bearer = createBearerAuthenticator({ keys, issuer: endpoints.issuer, audience: endpoints.apiAudience, clock, cache });
    const users = createUserTokenKind({ clock, transactor, integrity: identity.integrity, feed: ctx.feed, cache });
    bearer.accept(users.kind);
    const userTokens = createUserTokens({
      transactor,
      clock,
      random: ctx.random,
      audit: audit.recorder,
      keys,
      integrity: identity.integrity,
      successorKey: ctx.keyring.derive('refresh-token-successor'),
      familyLimits: (tx, user, family) => identity.sessions.tokenFamilyLimits(tx, user, family),
      feed: ctx.feed,
      alerts,
      endpoints: { issuer: endpoints.issuer, audience: endpoints.apiAudience },
      settings: { refreshDays: config.refreshTokenDays, graceSeconds: config.refreshReuseGraceSeconds, perMinute: config.refreshPerMinute },
      logger: ctx.logger,
      revoked: (sessionId) => {
        users.ended(sessionId);
      },
    });
    identity.onSessionRevoked((sessionId) => {
      users.ended(sessionId);
    });
    identity.addAuthenticator((request) => bearer.authenticate(request));
    identity.answerApiClientsWith((sessionId, options) => userTokens.issueForSession(sessionId, options));
    return {
      api: { keys, userTokens, cache, bearer, endpoints },
      routes: async (http) => {
        registerJwksRoute(http, keys);
        await registerUserTokenRoutes(http, { tokens: userTokens });
      },
      close: () => {
        users.close();
      },
    };
  },
});
