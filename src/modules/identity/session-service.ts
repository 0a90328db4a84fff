import { sql } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';
import type { UserPrincipal } from '../access/index.ts';
import { PLATFORM_TENANT_ID, type AuditAction, type AuditActor, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import type { RowIntegrity } from './row-integrity.ts';
import { findSessionByTokenHash, findUserById, findUserSession, insertSession, listUserSessions, revokeSession, touchSession, type SessionRow, type UserRow } from './identity-store.ts';

/** Who is making a request, as far as the session says. */
export type Principal = UserPrincipal;

export interface SessionTimeouts {
  readonly memberIdleMinutes: number;
  readonly memberAbsoluteHours: number;
  readonly operatorIdleMinutes: number;
  readonly operatorAbsoluteHours: number;
}

export interface SessionService {
  /** Creates a session for `user` in `tx`; returns the bearer secret (shown once, stored hashed). */
  create(tx: Tx, user: UserRow, meta: { ip: string; userAgent: string | undefined; authMethods: readonly string[] }): Promise<{ token: string; sessionId: string }>;
  /** The principal for a session secret, or undefined if unknown, revoked, idle or expired. */
  resolve(token: string): Promise<Principal | undefined>;
  /**
   * Replaces a user's session with a new one (new id and secret, `authenticated_at` now, `authMethods`)
   * and records `action` naming the old id, then ends the old one with `reason` (ASVS 7.2.4: a new
   * session token at authentication and re-authentication, the old one terminated). Throws
   * `unauthenticated` when the user is gone or disabled.
   */
  replace(input: { userId: string; replaces: string; authMethods: readonly string[]; action: AuditAction; reason: string; by: { actor: AuditActor; source: AuditSource }; metadata?: Record<string, string> }): Promise<{ token: string; sessionId: string }>;
  /** Ends a session and records `session.revoked` in the platform log. */
  revoke(sessionId: string, reason: string, by: { actor: AuditActor; source: AuditSource }): Promise<void>;
  /** A user's live sessions (not revoked, not idle, not past their absolute end). */
  listForUser(userId: string): Promise<SessionRow[]>;
  /** Ends one of the user's own sessions; false when it is not theirs or already ended. */
  revokeOwn(userId: string, sessionId: string, by: { actor: AuditActor; source: AuditSource }): Promise<boolean>;
  /**
   * Ends every live session of a user (but `except`) inside `tx`, pushing each over the change
   * feed so every node drops it when `tx` commits (ASVS 7.4.3). The caller audits the cause.
   */
  revokeAllForUser(tx: Tx, userId: string, reason: string, options?: { except?: string | undefined }): Promise<string[]>;
  /**
   * The lifetime of an API client's refresh-token family for `user` (AUTH-5 with the organization
   * policy): the family's own `familySeconds` unless an organization of the user sets stricter
   * timeouts, and never beyond the operator limits for a platform operator. Idle time is counted
   * between refreshes, so it is never shorter than `minIdleSeconds` (the access token's lifetime
   * and a margin): a client that refreshes when its access token expires is not idle.
   */
  tokenFamilyLimits(tx: Tx, user: { id: string; is_platform_admin: boolean }, family: { familySeconds: number; minIdleSeconds: number }): Promise<{ idleSeconds: number; absoluteSeconds: number }>;
}

/** Last-seen is written at most this often, so reads stay cheap. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * A resolved session is served from memory for at most this long, sparing the database a lookup
 * per request. Revocations do not wait for it: they are pushed to every node through the change
 * feed when they commit, and a node whose feed connection dropped forgets every session.
 */
export const SESSION_CACHE_TTL_MS = 30_000;
/** The change-feed topic for ended sessions; its key is the session id. */
export const SESSIONS_TOPIC = 'sessions';
const SESSION_CACHE_MAX = 10_000;

export function createSessionService(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  timeouts: SessionTimeouts;
  audit: AuditRecorder;
  /** Row MACs (issue 13): a session or operator flag written by hand is not accepted. */
  integrity: RowIntegrity;
  feed: ChangeFeed | undefined;
  /** Told on this node as soon as a revocation commits (other nodes hear it through the change feed). */
  revoked?: (sessionId: string) => void;
}): SessionService {
  const { transactor, clock, random, timeouts, audit, feed, integrity } = deps;
  const cache = new Map<string, { principal: Principal; until: number }>();

  function remember(key: string, principal: Principal, until: number): void {
    if (cache.size >= SESSION_CACHE_MAX) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(key, { principal, until });
  }

  function forget(sessionId: string): void {
    for (const [key, entry] of cache) if (entry.principal.sessionId === sessionId) cache.delete(key);
  }
  feed?.subscribe(SESSIONS_TOPIC, forget, () => {
    cache.clear();
  });

  /**
   * A session's timeouts: the platform's defaults (stricter for operators), overridden by the
   * strictest of the user's organizations' security policies — an operator's never loosened.
   */
  async function organizationLimits(tx: Tx): Promise<{ idle_minutes: number | null; absolute_hours: number | null } | undefined> {
    const { rows } = await sql<{ idle_minutes: number | null; absolute_hours: number | null }>`select idle_minutes, absolute_hours from parapet_user_session_limits()`.execute(tx);
    return rows[0];
  }

  async function sessionLimits(tx: Tx, user: Pick<UserRow, 'id' | 'is_platform_admin'>): Promise<{ idleSeconds: number; absoluteMs: number }> {
    const operator = user.is_platform_admin;
    const org = await organizationLimits(tx);
    const platformIdle = operator ? timeouts.operatorIdleMinutes : timeouts.memberIdleMinutes;
    const platformAbsolute = operator ? timeouts.operatorAbsoluteHours : timeouts.memberAbsoluteHours;
    const idle = org?.idle_minutes ?? platformIdle;
    const absolute = org?.absolute_hours ?? platformAbsolute;
    return {
      idleSeconds: (operator ? Math.min(idle, platformIdle) : idle) * 60,
      absoluteMs: (operator ? Math.min(absolute, platformAbsolute) : absolute) * 3_600_000,
    };
  }

  const service: SessionService = {
    tokenFamilyLimits: async (tx, user, { familySeconds, minIdleSeconds }) => {
      let idleSeconds = familySeconds;
      let absoluteSeconds = familySeconds;
      if (user.is_platform_admin) {
        // Operators: their (stricter) session limits, organization policies included.
        const limits = await sessionLimits(tx, user);
        idleSeconds = limits.idleSeconds;
        absoluteSeconds = Math.min(familySeconds, limits.absoluteMs / 1000);
      } else {
        const org = await organizationLimits(tx);
        if (org?.idle_minutes != null) idleSeconds = org.idle_minutes * 60;
        if (org?.absolute_hours != null) absoluteSeconds = Math.min(familySeconds, org.absolute_hours * 3600);
      }
      return { idleSeconds: Math.min(absoluteSeconds, Math.max(idleSeconds, minIdleSeconds)), absoluteSeconds };
    },
    create: async (tx, user, meta) => {
      const now = clock.now();
      const token = newSecretToken(random);
      const { idleSeconds, absoluteMs } = await sessionLimits(tx, user);
      const sessionId = uuidv7(clock, random);
      // Issue 13, property 2: the digest is stored keyed, so a bulk read cannot be tested against a guess.
      const identity = { id: sessionId, token_hash: integrity.storedDigest('session', digestToken(token)), user_id: user.id, auth_methods: [...meta.authMethods], created_at: now, authenticated_at: now };
      await insertSession(tx, {
        ...identity,
        integrity_mac: integrity.sessionMac(identity),
        last_seen_at: now,
        idle_timeout_seconds: idleSeconds,
        absolute_expires_at: new Date(now.getTime() + absoluteMs),
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
        revoked_at: null,
        revoked_reason: null,
        digest_keyed: true,
      });
      return { token, sessionId };
    },
    resolve: async (token) => {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const presented = digestToken(token);
      const key = presented.toString('base64');
      const cached = cache.get(key);
      if (cached !== undefined) {
        if (clock.now().getTime() < cached.until) return cached.principal;
        cache.delete(key);
      }
      // Issue 13, property 2: looked up by the keyed digest, computed only when the cache misses.
      const digest = integrity.storedDigest('session', presented);
      return transactor.withPlatform(async (tx) => {
        const found = await findSessionByTokenHash(tx, digest);
        if (found === undefined) return undefined;
        const { session, user } = found;
        const now = clock.now();
        // Issue 13: a session row the application did not write (no valid MAC) does not exist.
        if (!integrity.sessionValid(session)) return undefined;
        if (user.disabled_at !== null) return undefined;
        if (now >= session.absolute_expires_at) return undefined;
        if (now.getTime() >= session.last_seen_at.getTime() + session.idle_timeout_seconds * 1000) return undefined;
        if (now.getTime() - session.last_seen_at.getTime() >= TOUCH_INTERVAL_MS) await touchSession(tx, session.id, now);
        const principal: Principal = {
          kind: 'user',
          sessionId: session.id,
          userId: user.id,
          email: user.email,
          displayName: user.display_name,
          isPlatformAdmin: integrity.isPlatformAdmin(user),
          authMethods: session.auth_methods,
          authenticatedAt: session.authenticated_at,
        };
        // Cached no longer than the TTL, and never past the session's own idle or absolute end.
        const idleEnd = now.getTime() + session.idle_timeout_seconds * 1000;
        remember(key, principal, Math.min(now.getTime() + SESSION_CACHE_TTL_MS, idleEnd, session.absolute_expires_at.getTime()));
        return principal;
      });
    },
    listForUser: (userId) =>
      transactor.withPlatform(async (tx) => {
        const now = clock.now().getTime();
        return (await listUserSessions(tx, userId, clock.now())).filter((row) => now < row.last_seen_at.getTime() + row.idle_timeout_seconds * 1000 && integrity.sessionValid(row));
      }),
    revokeOwn: async (userId, sessionId, by) => {
      const found = await transactor.withPlatform((tx) => findUserSession(tx, userId, sessionId));
      if (found === undefined) return false;
      await revokeById(sessionId, 'revoked_by_user', by);
      return true;
    },
    replace: async ({ userId, replaces, authMethods, action, reason, by, metadata }) => {
      // The user's verified actor: the organization policies' session limits are read for it (0055).
      const created = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const user = await findUserById(tx, userId);
        if (user === undefined || user.disabled_at !== null) throw new AppError('unauthenticated');
        const session = await service.create(tx, user, { ip: by.source.ip ?? '', userAgent: by.source.user_agent ?? undefined, authMethods });
        await audit.recordForUser(tx, user.id, [{
          action,
          actor: by.actor,
          outcome: 'success',
          source: by.source,
          targets: [{ type: 'session', id: session.sessionId }],
          metadata: { amr: authMethods.join(' '), replaces, ...metadata },
        }]);
        return session;
      }, userId);
      await revokeById(replaces, reason, by);
      return created;
    },
    revoke: (sessionId, reason, by) => revokeById(sessionId, reason, by),
    revokeAllForUser: async (tx, userId, reason, options = {}) => {
      let query = tx.updateTable('sessions').set({ revoked_at: clock.now(), revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null);
      if (options.except !== undefined) query = query.where('id', '<>', options.except);
      const ended = (await query.returning('id').execute()).map((row) => row.id);
      for (const id of ended) {
        forget(id);
        await feed?.publish(tx as never, SESSIONS_TOPIC, id);
      }
      return ended;
    },
  };
  return service;

  async function revokeById(sessionId: string, reason: string, by: { actor: AuditActor; source: AuditSource }): Promise<void> {
    await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
      forget(sessionId);
      const userId = await revokeSession(tx, sessionId, reason, clock.now());
      await feed?.publish(tx as never, SESSIONS_TOPIC, sessionId);
      // A session the user ended (or that a sign-in replaced) is in their organizations' logs too;
      // one that had already ended is recorded in the platform log only, as before.
      await audit.recordForUser(tx, userId ?? null, [{ action: 'session.revoked', actor: by.actor, outcome: 'success', source: by.source, targets: [{ type: 'session', id: sessionId }], metadata: { reason } }]);
    });
    deps.revoked?.(sessionId);
  }
}
