import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { UserPrincipal } from '../access/index.ts';
import type { RowIntegrity } from '../identity/index.ts';
import { SESSIONS_TOPIC } from '../identity/index.ts';
import type { BearerKind } from './bearer-authenticator.ts';
import { findSessionWithUser, sessionIsLive } from './user-tokens-store.ts';
import type { VerifiedToken, VerifiedTokenCache } from './verified-token-cache.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How long a session heard to be revoked is refused without a query: longer than any access token lives. */
const DEAD_FOR_MS = 16 * 60_000;

/** The cache group of a session's tokens. */
export const sessionGroup = (sessionId: string): string => `session:${sessionId}`;

export interface UserTokenKind {
  /** Given to the bearer authenticator: user access tokens (JWTs with `sid` and no `client_id`). */
  readonly kind: BearerKind<UserPrincipal>;
  /** Drops a session's tokens on this node at once and refuses them from now on (the revoking node calls it after commit). */
  ended(sessionId: string): void;
  close(): void;
}

/**
 * Users' access tokens (AUTH-5), checked by the one bearer authenticator: a token whose signature
 * verified has its session checked live in one indexed query, and is then served from the shared
 * cache until `exp` or the session's end: no query and no signature check per request.
 * When a session ends, the revoking transaction publishes `sessions:<id>`; every node drops that
 * session's tokens when it commits and refuses the session's tokens from then on without a query.
 * A node that lost its change-feed connection drops every token.
 */
export function createUserTokenKind(deps: {
  clock: Clock;
  transactor: AppTransactor;
  /** Row MACs (issue 13): sessions and operator flags written by hand are not accepted. */
  integrity: RowIntegrity;
  feed: ChangeFeed | undefined;
  cache: VerifiedTokenCache;
  maxEntries?: number;
}): UserTokenKind {
  const maxEntries = deps.maxEntries ?? 10_000;
  const { cache } = deps;
  const dead = new Map<string, number>();

  function ended(sessionId: string): void {
    cache.drop(sessionGroup(sessionId));
    if (dead.size >= maxEntries) {
      const oldest = dead.keys().next();
      if (oldest.done !== true) dead.delete(oldest.value);
    }
    dead.set(sessionId, deps.clock.now().getTime() + DEAD_FOR_MS);
  }
  const unsubscribe = deps.feed?.subscribe(SESSIONS_TOPIC, ended, () => {
    cache.clear();
  });

  function isDead(sessionId: string): boolean {
    const until = dead.get(sessionId);
    if (until === undefined) return false;
    if (deps.clock.now().getTime() < until) return true;
    dead.delete(sessionId);
    return false;
  }

  return {
    kind: {
      // A service account's token has `client_id` (and no `sid`): the oauth module's kind.
      claims: (claims) => claims['sid'] !== undefined && claims['client_id'] === undefined,
      resolve: async (token, payload) => {
        const { sid, tid } = payload;
        if (typeof sid !== 'string' || !UUID.test(sid) || !UUID.test(payload.sub) || (tid !== undefined && (typeof tid !== 'string' || !UUID.test(tid)))) throw new AppError('unauthenticated');
        if (isDead(sid)) throw new AppError('unauthenticated');
        const pending = cache.begin<UserPrincipal>(sessionGroup(sid));
        try {
          // The cold path's one query: the session (by primary key) with its user.
          const session = await deps.transactor.withPlatform((tx) => findSessionWithUser(tx, deps.integrity, sid));
          if (session === undefined || session.user_id !== payload.sub || !sessionIsLive(session, deps.clock.now())) throw new AppError('unauthenticated');
          const principal: UserPrincipal = Object.freeze({
            kind: 'user',
            userId: session.user_id,
            sessionId: session.id,
            email: session.email,
            displayName: session.display_name,
            isPlatformAdmin: session.is_platform_admin,
            authMethods: Object.freeze([...session.auth_methods]),
            authenticatedAt: session.authenticated_at,
          });
          const entry: VerifiedToken<UserPrincipal> = { token, principal, expiresAt: Math.min(payload.exp * 1000, session.absolute_expires_at.getTime()), staleAt: Infinity, confinedTo: tid };
          // A revocation heard while we were reading wins over what we read.
          if (isDead(sid) || !pending.store(entry)) throw new AppError('unauthenticated');
          return entry;
        } finally {
          pending.release();
        }
      },
    },
    ended,
    close: () => {
      unsubscribe?.();
    },
  };
}
