import type { FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { ACCESS_TOPIC, isPermission, type Permission, type ServiceAccountPrincipal } from '../access/index.ts';
import { AccessTokenError, createVerifiedTokenCache, singleFlight, verifyAccessToken, type TokenKeys, type VerifiedToken, type VerifiedTokenCache } from '../tokens/index.ts';
import { OAUTH_TOPIC } from './clients-service.ts';
import { clientWithAccount } from './oauth-store.ts';

// A JWT's three segments; an empty signature still matches, so an unsigned token is refused, not ignored.
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cache group of an organization's service-account tokens. */
export const tenantGroup = (tenantId: string): string => `tenant:${tenantId}`;

export interface BearerAuthenticator {
  /** An `Authenticator` for registerAuthentication: service-account access tokens. */
  authenticate(request: FastifyRequest): Promise<ServiceAccountPrincipal | undefined>;
  /** Drops the cached tokens of a tenant on this node (other nodes hear of it through the change feed). */
  invalidate(tenantId: string): void;
  close(): void;
}

const isServiceAccount = (entry: VerifiedToken): entry is VerifiedToken<ServiceAccountPrincipal> => entry.principal.kind === 'service_account';

/**
 * `Authorization: Bearer <JWT>` for service accounts (AUTH-7). A token is verified once (EdDSA with
 * our own current or previous key, issuer, the API audience, exp/nbf on the injected clock) and
 * its client and account checked in the database, then served from memory (the verified-token
 * cache, shared with user tokens when `cache` is given) until it expires, and for at most
 * `maxAgeMs` in case a notification was lost. Any change to a tenant's clients or access (client
 * deleted, account disabled, bindings changed) reaches every node through the change feed and drops
 * that tenant's cached tokens, so the next request checks again. API keys (`prk_…`) and non-JWT
 * bearer values are left to other authenticators.
 */
export function createBearerAuthenticator(deps: {
  keys: TokenKeys;
  issuer: string;
  audience: string;
  clock: Clock;
  transactor: AppTransactor;
  feed: ChangeFeed | undefined;
  cache?: VerifiedTokenCache;
  maxEntries?: number;
  maxAgeMs?: number;
}): BearerAuthenticator {
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  const cache = deps.cache ?? createVerifiedTokenCache({ clock: deps.clock, maxEntries: deps.maxEntries ?? 10_000 });
  const verifying = singleFlight<ServiceAccountPrincipal | undefined>();

  const invalidate = (tenantId: string): void => {
    cache.drop(tenantGroup(tenantId));
  };
  const reset = (): void => {
    cache.clear();
  };
  const unsubscribe = [deps.feed?.subscribe(OAUTH_TOPIC, invalidate, reset), deps.feed?.subscribe(ACCESS_TOPIC, invalidate, reset)];

  async function verify(token: string): Promise<ServiceAccountPrincipal | undefined> {
    const now = deps.clock.now();
    let payload;
    try {
      payload = await verifyAccessToken(deps.keys, token, { issuer: deps.issuer, audience: deps.audience, now });
    } catch (error) {
      throw new AppError('unauthenticated', { cause: error instanceof AccessTokenError ? error : undefined });
    }
    const { client_id: clientId, tid: tenantId, scope } = payload;
    // Not a client-credentials token (a user access token has no client_id): another authenticator's.
    if (clientId === undefined) return undefined;
    if (typeof clientId !== 'string' || typeof tenantId !== 'string' || typeof scope !== 'string' || !UUID.test(clientId) || !UUID.test(tenantId) || !UUID.test(payload.sub)) {
      throw new AppError('unauthenticated');
    }
    const permissions = scope.split(' ');
    if (!permissions.every(isPermission)) throw new AppError('unauthenticated');
    const pending = cache.begin<ServiceAccountPrincipal>(tenantGroup(tenantId));
    try {
      // The client must still exist, still belong to the token's account, and the account be enabled.
      const found = await deps.transactor.withTenant(tenantId, (tx) => clientWithAccount(tx, tenantId, clientId));
      if (found === undefined || found.client.service_account_id !== payload.sub || found.serviceAccountDisabled) throw new AppError('unauthenticated');
      const principal: ServiceAccountPrincipal = Object.freeze({
        kind: 'service_account',
        serviceAccountId: payload.sub,
        tenantId,
        displayName: found.serviceAccountName,
        clientId,
        scope: new Set<Permission>(permissions),
      });
      // A change that arrived while we were reading must not be overwritten by what we read: then
      // this request proceeds on what it read, and the next one checks again.
      pending.store({ token, principal, expiresAt: payload.exp * 1000, staleAt: performance.now() + maxAgeMs, confinedTo: undefined });
      return principal;
    } finally {
      pending.release();
    }
  }

  return {
    authenticate: async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      const hit = cache.fromHeader(header);
      if (hit !== undefined) return isServiceAccount(hit) ? hit.principal : undefined;
      if (/^Bearer +prk_/i.test(header)) return undefined;
      const match = BEARER.exec(header);
      // API keys (prk_…) and anything that is not a JWT belong to other authenticators.
      if (match === null) return undefined;
      const token = match[1] ?? '';
      const entry = cache.get(token);
      if (entry !== undefined) return isServiceAccount(entry) ? entry.principal : undefined;
      return verifying(token, () => verify(token));
    },
    invalidate,
    close: () => {
      for (const stop of unsubscribe) stop?.();
    },
  };
}
