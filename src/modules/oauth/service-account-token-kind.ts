import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { ACCESS_TOPIC, isPermission, type Permission, type ServiceAccountPrincipal } from '../access/index.ts';
import type { BearerKind, VerifiedTokenCache } from '../tokens/index.ts';
import { OAUTH_TOPIC } from './clients-service.ts';
import { clientWithAccount } from './oauth-store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cache group of an organization's service-account tokens. */
export const tenantGroup = (tenantId: string): string => `tenant:${tenantId}`;

export interface ServiceAccountTokenKind {
  /** Given to the bearer authenticator: client-credentials tokens (JWTs with `client_id`). */
  readonly kind: BearerKind<ServiceAccountPrincipal>;
  /** Drops the cached tokens of a tenant on this node (other nodes hear of it through the change feed). */
  invalidate(tenantId: string): void;
  close(): void;
}

/**
 * Service accounts' client-credentials tokens (AUTH-7), checked by the one bearer authenticator
 * (tokens module): a token whose signature verified has its client and account checked in the
 * database, then is served from the shared cache until it expires, and for at most `maxAgeMs` in
 * case a notification was lost. Any change to a tenant's clients or access (client deleted,
 * account disabled, bindings changed) reaches every node through the change feed and drops that
 * tenant's cached tokens, so the next request checks again.
 */
export function createServiceAccountTokenKind(deps: {
  clock: Clock;
  transactor: AppTransactor;
  feed: ChangeFeed | undefined;
  cache: VerifiedTokenCache;
  maxAgeMs?: number;
}): ServiceAccountTokenKind {
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  const { cache } = deps;

  const invalidate = (tenantId: string): void => {
    cache.drop(tenantGroup(tenantId));
  };
  const reset = (): void => {
    cache.clear();
  };
  const unsubscribe = [deps.feed?.subscribe(OAUTH_TOPIC, invalidate, reset), deps.feed?.subscribe(ACCESS_TOPIC, invalidate, reset)];

  return {
    kind: {
      claims: (claims) => claims['client_id'] !== undefined,
      resolve: async (token, payload) => {
        const { client_id: clientId, tid: tenantId, scope } = payload;
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
          const entry = { token, principal, expiresAt: payload.exp * 1000, staleAt: performance.now() + maxAgeMs, confinedTo: undefined };
          // A change that arrived while we were reading must not be overwritten by what we read: then
          // this request proceeds on what it read, and the next one checks again.
          pending.store(entry);
          return entry;
        } finally {
          pending.release();
        }
      },
    },
    invalidate,
    close: () => {
      for (const stop of unsubscribe) stop?.();
    },
  };
}
