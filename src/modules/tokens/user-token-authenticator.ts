import type { FastifyRequest } from 'fastify';
import type { RowIntegrity } from '../identity/index.ts';
import { decodeJwt, type JWTPayload } from 'jose';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { UserPrincipal } from '../access/index.ts';
import { SESSIONS_TOPIC } from '../identity/index.ts';
import type { TokenKeys } from './token-keys.ts';
import { findSessionWithUser, sessionIsLive } from './user-tokens-store.ts';
import { assertInScope, createVerifiedTokenCache, singleFlight, type VerifiedToken, type VerifiedTokenCache } from './verified-token-cache.ts';
import { AccessTokenError, verifyAccessToken } from './verify-access-token.ts';

// A JWT's three segments; an empty signature still matches, so an unsigned token is refused, not ignored.
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How long a session heard to be revoked is refused without a query: longer than any access token lives. */
const DEAD_FOR_MS = 16 * 60_000;

/** The cache group of a session's tokens. */
export const sessionGroup = (sessionId: string): string => `session:${sessionId}`;

export interface UserTokenAuthenticator {
  /** An `Authenticator` for registerAuthentication: user access tokens (JWTs with `sid`). */
  authenticate(request: FastifyRequest): Promise<UserPrincipal | undefined>;
  /** Drops a session's tokens on this node at once and refuses them from now on (the revoking node calls it after commit). */
  ended(sessionId: string): void;
  /** The principal of a token already verified and still valid, or undefined: no await, no I/O. */
  warm(token: string): UserPrincipal | undefined;
  close(): void;
}

const isUser = (entry: VerifiedToken | undefined): entry is VerifiedToken<UserPrincipal> => entry?.principal.kind === 'user';

/**
 * `Authorization: Bearer <JWT>` for users' API clients (AUTH-5). A token is verified once (EdDSA
 * with our current or previous key, `typ: at+jwt`, issuer, the API audience, exp/nbf on the
 * injected clock), and its session checked live in one indexed query; then it is served from
 * memory (the verified-token cache, shared with service-account tokens when `cache` is given) until
 * `exp` or the session's end: no database query and no signature check per request.
 * When a session ends, the revoking transaction publishes `sessions:<id>`; every node drops that
 * session's tokens when it commits and refuses the session's tokens from then on without a query.
 * A node that lost its change-feed connection drops every token. Tokens without `sid` (service
 * accounts' client-credentials tokens) and API keys are left to the other authenticators.
 */
export function createUserTokenAuthenticator(deps: {
  keys: TokenKeys;
  issuer: string;
  audience: string;
  clock: Clock;
  transactor: AppTransactor;
  /** Row MACs (issue 13): sessions and operator flags written by hand are not accepted. */
  integrity: RowIntegrity;
  feed: ChangeFeed | undefined;
  cache?: VerifiedTokenCache;
  maxEntries?: number;
}): UserTokenAuthenticator {
  const maxEntries = deps.maxEntries ?? 10_000;
  const cache = deps.cache ?? createVerifiedTokenCache({ clock: deps.clock, maxEntries });
  const dead = new Map<string, number>();
  const verifying = singleFlight<VerifiedToken<UserPrincipal>>();

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

  async function verify(token: string): Promise<VerifiedToken<UserPrincipal>> {
    const now = deps.clock.now();
    let payload;
    try {
      payload = await verifyAccessToken(deps.keys, token, { issuer: deps.issuer, audience: deps.audience, now });
    } catch (error) {
      throw new AppError('unauthenticated', { cause: error instanceof AccessTokenError ? error : undefined });
    }
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
  }

  function admit(request: FastifyRequest, entry: VerifiedToken<UserPrincipal>): UserPrincipal {
    assertInScope(request, entry);
    return entry.principal;
  }

  return {
    authenticate: async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      // The common case first: the exact value of a token verified before, no regex.
      const hit = cache.fromHeader(header);
      if (hit !== undefined) return isUser(hit) ? admit(request, hit) : undefined;
      const match = BEARER.exec(header);
      if (match === null) return undefined;
      const token = match[1] ?? '';
      const entry = cache.get(token);
      if (entry !== undefined) return isUser(entry) ? admit(request, entry) : undefined;
      // Route by the unverified claims only: a token without `sid`, or with `client_id`, is a
      // service account's and the OAuth authenticator verifies it; anything else is verified here.
      let claims: JWTPayload;
      try {
        claims = decodeJwt(token);
      } catch {
        return undefined;
      }
      if (claims['sid'] === undefined || claims['client_id'] !== undefined) return undefined;
      return admit(request, await verifying(token, () => verify(token)));
    },
    ended,
    warm: (token) => {
      const entry = cache.get(token);
      return isUser(entry) ? entry.principal : undefined;
    },
    close: () => {
      unsubscribe?.();
    },
  };
}
