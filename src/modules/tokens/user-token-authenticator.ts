import type { FastifyRequest } from 'fastify';
import { decodeJwt, type JWTPayload } from 'jose';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { UserPrincipal } from '../access/index.ts';
import { SESSIONS_TOPIC } from '../identity/index.ts';
import type { TokenKeys } from './token-keys.ts';
import { findSessionWithUser, sessionIsLive } from './user-tokens-store.ts';
import { AccessTokenError, verifyAccessToken } from './verify-access-token.ts';

// A JWT's three segments; an empty signature still matches, so an unsigned token is refused, not ignored.
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How long a session heard to be revoked is refused without a query: longer than any access token lives. */
const DEAD_FOR_MS = 16 * 60_000;

interface Entry {
  /** The whole token: an entry is found by the token's signature segment, then compared in full. */
  readonly token: string;
  readonly principal: UserPrincipal;
  /** Epoch ms: the token's `exp`, or the session's absolute end if sooner. */
  readonly expiresAt: number;
  /** The organization the token is scoped to (`tid`), if any. */
  readonly tid: string | undefined;
}

export interface UserTokenAuthenticator {
  /** An `Authenticator` for registerAuthentication: user access tokens (JWTs with `sid`). */
  authenticate(request: FastifyRequest): Promise<UserPrincipal | undefined>;
  /** Drops a session's tokens on this node at once and refuses them from now on (the revoking node calls it after commit). */
  ended(sessionId: string): void;
  /** The principal of a token already verified and still valid, or undefined: no await, no I/O. */
  warm(token: string): UserPrincipal | undefined;
  readonly size: number;
  close(): void;
}

/**
 * `Authorization: Bearer <JWT>` for users' API clients (AUTH-5). A token is verified once (EdDSA
 * with our current or previous key, `typ: at+jwt`, issuer, the API audience, exp/nbf on the
 * injected clock), and its session checked live in one indexed query; then it is served from
 * memory until `exp` (or the session's end): no database query and no signature check per request.
 * When a session ends, the revoking transaction publishes `sessions:<id>`; every node drops that
 * session's tokens when it commits and refuses the session's tokens from then on without a query.
 * A node that lost its change-feed connection drops every token. Tokens without `sid` (service
 * accounts' client-credentials tokens) and API keys are left to the other authenticators.
 */
export function createUserTokenAuthenticator(deps: { keys: TokenKeys; issuer: string; audience: string; clock: Clock; transactor: AppTransactor; feed: ChangeFeed | undefined; maxEntries?: number }): UserTokenAuthenticator {
  const maxEntries = deps.maxEntries ?? 10_000;
  // Keyed by the signature segment (86 characters), which is cheaper to hash than the whole token
  // on every request; the entry holds the whole token, compared before use.
  const entries = new Map<string, Entry>();
  const bySession = new Map<string, Set<string>>();
  const dead = new Map<string, number>();
  // Concurrent first uses of one token share a single verification.
  const verifying = new Map<string, Promise<Entry>>();
  let epoch = 0;

  const keyOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);

  function forget(key: string): void {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bySession.get(entry.principal.sessionId)?.delete(key);
  }
  function ended(sessionId: string): void {
    for (const key of bySession.get(sessionId) ?? []) entries.delete(key);
    bySession.delete(sessionId);
    if (dead.size >= maxEntries) {
      const oldest = dead.keys().next();
      if (oldest.done !== true) dead.delete(oldest.value);
    }
    dead.set(sessionId, deps.clock.now().getTime() + DEAD_FOR_MS);
  }
  function reset(): void {
    entries.clear();
    bySession.clear();
    epoch++;
  }
  const unsubscribe = deps.feed?.subscribe(SESSIONS_TOPIC, ended, reset);

  function isDead(sessionId: string): boolean {
    const until = dead.get(sessionId);
    if (until === undefined) return false;
    if (deps.clock.now().getTime() < until) return true;
    dead.delete(sessionId);
    return false;
  }

  function remember(entry: Entry): void {
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) forget(oldest.value);
    }
    const key = keyOf(entry.token);
    entries.set(key, entry);
    let set = bySession.get(entry.principal.sessionId);
    if (set === undefined) bySession.set(entry.principal.sessionId, (set = new Set()));
    set.add(key);
  }

  async function verify(token: string): Promise<Entry> {
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
    const startEpoch = epoch;
    // The cold path's one query: the session (by primary key) with its user.
    const session = await deps.transactor.withPlatform((tx) => findSessionWithUser(tx, sid));
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
    const entry: Entry = { token, principal, expiresAt: Math.min(payload.exp * 1000, session.absolute_expires_at.getTime()), tid };
    // A revocation heard while we were reading wins over what we read.
    if (isDead(sid) || epoch !== startEpoch) throw new AppError('unauthenticated');
    remember(entry);
    return entry;
  }

  /** A token scoped to an organization (`tid`) may not act on a route that names another one. */
  function inScope(request: FastifyRequest, entry: Entry): UserPrincipal {
    if (entry.tid !== undefined) {
      const orgId = (request.params as { orgId?: unknown } | undefined)?.orgId;
      if (typeof orgId === 'string' && orgId.toLowerCase() !== entry.tid) throw new AppError('forbidden', { detail: 'This access token is scoped to another organization.' });
    }
    return entry.principal;
  }

  function warmEntry(token: string): Entry | undefined {
    const key = keyOf(token);
    const entry = entries.get(key);
    if (entry?.token !== token) return undefined;
    // RFC 7519 §4.1.4: not accepted on or after exp, even from the cache.
    if (deps.clock.now().getTime() < entry.expiresAt) return entry;
    forget(key);
    return undefined;
  }

  return {
    authenticate: async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      // The common case first: the exact value of a token verified before, no regex.
      if (header.startsWith('Bearer ')) {
        const hit = warmEntry(header.slice(7));
        if (hit !== undefined) return inScope(request, hit);
      }
      const match = BEARER.exec(header);
      if (match === null) return undefined;
      const token = match[1] ?? '';
      const entry = warmEntry(token);
      if (entry !== undefined) return inScope(request, entry);
      // Route by the unverified claims only: a token without `sid`, or with `client_id`, is a
      // service account's and the OAuth authenticator verifies it; anything else is verified here.
      let claims: JWTPayload;
      try {
        claims = decodeJwt(token);
      } catch {
        return undefined;
      }
      if (claims['sid'] === undefined || claims['client_id'] !== undefined) return undefined;
      let pending = verifying.get(token);
      if (pending === undefined) {
        pending = verify(token).finally(() => verifying.delete(token));
        verifying.set(token, pending);
      }
      return inScope(request, await pending);
    },
    ended,
    warm: (token) => warmEntry(token)?.principal,
    get size() {
      return entries.size;
    },
    close: () => {
      unsubscribe?.();
    },
  };
}
