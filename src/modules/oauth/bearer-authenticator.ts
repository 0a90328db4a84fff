import type { FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { ACCESS_TOPIC, isPermission, type Permission, type ServiceAccountPrincipal } from '../access/index.ts';
import { AccessTokenError, verifyAccessToken, type TokenKeys } from '../tokens/index.ts';
import { OAUTH_TOPIC } from './clients-service.ts';
import { clientWithAccount } from './oauth-store.ts';

// A JWT's three segments; an empty signature still matches, so an unsigned token is refused, not ignored.
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Entry {
  readonly principal: ServiceAccountPrincipal;
  /** Epoch ms: the token's `exp`. */
  readonly expiresAt: number;
  /** Process time it was verified, to bound how long a lost notification could matter. */
  readonly verifiedAt: number;
}

export interface BearerAuthenticator {
  /** An `Authenticator` for registerAuthentication: service-account access tokens. */
  authenticate(request: FastifyRequest): Promise<ServiceAccountPrincipal | undefined>;
  /** Drops the cached tokens of a tenant on this node (other nodes hear of it through the change feed). */
  invalidate(tenantId: string): void;
  readonly size: number;
  close(): void;
}

/**
 * `Authorization: Bearer <JWT>` for service accounts (AUTH-7). A token is verified once (EdDSA with
 * our own current or previous key, issuer, the API audience, exp/nbf on the injected clock) and
 * its client and account checked in the database, then served from memory until it expires. Any
 * change to a tenant's clients or access (client deleted, account disabled, bindings changed)
 * reaches every node through the change feed and drops that tenant's cached tokens, so the next
 * request checks again. API keys (`prk_…`) and non-JWT bearer values are left to other authenticators.
 */
export function createBearerAuthenticator(deps: {
  keys: TokenKeys;
  issuer: string;
  audience: string;
  clock: Clock;
  transactor: AppTransactor;
  feed: ChangeFeed | undefined;
  maxEntries?: number;
  maxAgeMs?: number;
}): BearerAuthenticator {
  const maxEntries = deps.maxEntries ?? 10_000;
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  const entries = new Map<string, Entry>();
  const byTenant = new Map<string, Set<string>>();
  const generations = new Map<string, number>();
  // Concurrent first uses of one token share a single verification.
  const verifying = new Map<string, Promise<ServiceAccountPrincipal | undefined>>();
  let epoch = 0;

  function forget(token: string): void {
    const entry = entries.get(token);
    if (entry === undefined) return;
    entries.delete(token);
    byTenant.get(entry.principal.tenantId)?.delete(token);
  }
  function invalidate(tenantId: string): void {
    for (const token of byTenant.get(tenantId) ?? []) entries.delete(token);
    byTenant.delete(tenantId);
    generations.set(tenantId, (generations.get(tenantId) ?? 0) + 1);
  }
  function reset(): void {
    entries.clear();
    byTenant.clear();
    generations.clear();
    epoch++;
  }
  const unsubscribe = [deps.feed?.subscribe(OAUTH_TOPIC, invalidate, reset), deps.feed?.subscribe(ACCESS_TOPIC, invalidate, reset)];

  function remember(token: string, entry: Entry): void {
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) forget(oldest.value);
    }
    entries.set(token, entry);
    let set = byTenant.get(entry.principal.tenantId);
    if (set === undefined) byTenant.set(entry.principal.tenantId, (set = new Set()));
    set.add(token);
  }

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
    const generation = generations.get(tenantId) ?? 0;
    const startEpoch = epoch;
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
    // A change that arrived while we were reading must not be overwritten by what we read.
    if ((generations.get(tenantId) ?? 0) === generation && epoch === startEpoch) {
      remember(token, { principal, expiresAt: payload.exp * 1000, verifiedAt: performance.now() });
    }
    return principal;
  }

  return {
    authenticate: async (request) => {
      const header = request.headers.authorization;
      if (header === undefined || /^Bearer +prk_/i.test(header)) return undefined;
      const match = BEARER.exec(header);
      // API keys (prk_…) and anything that is not a JWT belong to other authenticators.
      if (match === null) return undefined;
      const token = match[1] ?? '';
      const entry = entries.get(token);
      if (entry !== undefined) {
        // RFC 7519 §4.1.4: not accepted on or after exp, even from the cache.
        if (deps.clock.now().getTime() < entry.expiresAt && performance.now() - entry.verifiedAt < maxAgeMs) return entry.principal;
        forget(token);
      }
      let pending = verifying.get(token);
      if (pending === undefined) {
        pending = verify(token).finally(() => verifying.delete(token));
        verifying.set(token, pending);
      }
      return pending;
    },
    invalidate,
    get size() {
      return entries.size;
    },
    close: () => {
      for (const stop of unsubscribe) stop?.();
    },
  };
}
