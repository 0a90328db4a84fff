import { createHmac } from 'node:crypto';
import type { RowIntegrity } from '../identity/index.ts';
import type { Logger } from 'pino';
import type { AppTransactor, Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { digestToken, newSecretToken, uuidv7, type Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { PLATFORM_TENANT_ID, type AuditActor, type AuditContext, type AuditRecorder, type AuditSource } from '../audit/index.ts';
import { extendSession, revokeSession, SESSIONS_TOPIC, TOKEN_SESSION_MIN_IDLE_SECONDS, touchSession, type SessionService } from '../identity/index.ts';
import { signAccessToken } from './sign-access-token.ts';
import type { TokenKeys } from './token-keys.ts';
import {
  countIssuedSince,
  findRefreshToken,
  findRefreshTokenById,
  findSessionWithUser,
  insertRefreshToken,
  retireRefreshToken,
  sessionIsLive,
  userOrganizations,
  type LiveSession,
  type RefreshTokenRow,
} from './user-tokens-store.ts';

/** User access tokens live 15 minutes (AUTH-5). */
export const USER_ACCESS_TOKEN_TTL_S = 900;
/** Refresh tokens: `prt_` and 256 bits, base64url; the prefix lets secret scanners find leaked ones. */
export const REFRESH_TOKEN_PREFIX = 'prt_';
const REFRESH_TOKEN = /^prt_[A-Za-z0-9_-]{43}$/;

/** What a client gets at sign-in and at every refresh (RFC 6749 §5.1). */
export interface UserTokenPair {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

export interface UserTokenSettings {
  /** A family ends this many days after its first token, however often it rotates. */
  readonly refreshDays: number;
  /** A retired token presented again this soon after its rotation gets the same successor. */
  readonly graceSeconds: number;
  /** Refreshes per family per minute, on all nodes together. */
  readonly perMinute: number;
}

export interface UserTokens {
  /**
   * Opens the refresh family of a session that was just created by a sign-in and returns the first
   * pair. The seam for every way of signing in (password today; MFA and passkey completion call it
   * the same way): the session row exists, is live, and carries the `amr` the tokens will name.
   * With `organizationId`, the tokens are scoped to that organization (`tid`), which the user must
   * belong to; otherwise the session is ended and `forbidden` thrown.
   */
  issueForSession(sessionId: string, options: { userId: string; organizationId: string | undefined; source: AuditSource }): Promise<UserTokenPair>;
  /** `grant_type=refresh_token`: rotates the refresh token. Throws `invalid_grant` or `rate_limited`. */
  refresh(refreshToken: string, source: AuditSource): Promise<UserTokenPair>;
  /** RFC 7009: revokes the token's family (its session). Unknown tokens are ignored. */
  revoke(token: string, source: AuditSource): Promise<void>;
}

type Refused = { readonly refused: AppError; readonly reuse?: { readonly userId: string; readonly sessionId: string; readonly actor: AuditActor } };

export function createUserTokens(deps: {
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  audit: AuditRecorder;
  keys: TokenKeys;
  /** Row MACs (issue 13): sessions and operator flags written by hand are not accepted. */
  integrity: RowIntegrity;
  /** Keyring-derived key (`refresh-token-successor`) for deriving a token's successor. */
  successorKey: Buffer;
  feed: ChangeFeed | undefined;
  alerts: { raise(tx: Tx, tenantId: string, ctx: AuditContext, input: { kind: 'refresh_token_reused'; severity: 'high'; summary: string; actorId: string | null; subject: { type: string; id: string } }): Promise<unknown> };
  endpoints: { readonly issuer: string; readonly audience: string };
  settings: UserTokenSettings;
  logger: Logger;
  /** Told on this node as soon as a revocation commits (other nodes hear it through the change feed). */
  revoked?: (sessionId: string) => void;
  /** A family's timeouts for its user (SessionService.tokenFamilyLimits). */
  familyLimits: SessionService['tokenFamilyLimits'];
}): UserTokens {
  const { transactor, clock, random, audit, settings } = deps;
  const invalid = () => new AppError('invalid_grant');
  const actorOf = (session: Pick<LiveSession, 'user_id' | 'display_name' | 'is_platform_admin'>): AuditActor => ({ type: session.is_platform_admin ? 'operator' : 'user', id: session.user_id, display_name: session.display_name });

  /**
   * The successor of a refresh token is a keyed function of the token itself (HMAC-SHA256 under a
   * keyring-derived key), so two concurrent exchanges of one token compute the same successor
   * without the database ever holding a usable token: only digests are stored.
   */
  const successorOf = (token: string) => `${REFRESH_TOKEN_PREFIX}${createHmac('sha256', deps.successorKey).update(token).digest('base64url')}`;

  async function accessToken(session: LiveSession, organizationId: string | null, now: Date): Promise<string> {
    const { token } = await signAccessToken(deps.keys, {
      issuer: deps.endpoints.issuer,
      aud: deps.endpoints.audience,
      sub: session.user_id,
      jti: uuidv7(clock, random),
      now,
      ttlSeconds: USER_ACCESS_TOKEN_TTL_S,
      extra: { sid: session.id, amr: [...session.auth_methods], ...(organizationId === null ? {} : { tid: organizationId }) },
    });
    return token;
  }

  const pair = (access: string, refresh: string): UserTokenPair => ({ access_token: access, token_type: 'Bearer', expires_in: USER_ACCESS_TOKEN_TTL_S, refresh_token: refresh });

  /** Ends a session inside `tx` and tells every node (their token caches drop it when `tx` commits). */
  async function endSession(tx: Tx, session: { id: string; user_id: string }, reason: string, actor: AuditActor, source: AuditSource, now: Date): Promise<void> {
    if ((await revokeSession(tx, session.id, reason, now)) === undefined) return;
    await deps.feed?.publish(tx as never, SESSIONS_TOPIC, session.id);
    // The platform log and each of the user's organizations' logs (issue 14 part 5).
    await audit.recordForUser(tx, session.user_id, [{ action: 'session.revoked', actor, outcome: 'success', source, targets: [{ type: 'session', id: session.id }], metadata: { reason } }]);
  }

  /** IR-5: an alert in each organization of the user whose family was replayed (platform log and a warning otherwise). */
  async function alertReuse(reuse: NonNullable<Refused['reuse']>, source: AuditSource): Promise<void> {
    const organizations = await transactor.withActor(reuse.userId, (tx) => userOrganizations(tx));
    const ctx: AuditContext = { userId: '', actor: { type: 'anonymous', id: null, display_name: null }, source };
    for (const tenantId of organizations) {
      await transactor.withTenant(tenantId, (tx) =>
        deps.alerts.raise(tx, tenantId, ctx, {
          kind: 'refresh_token_reused',
          severity: 'high',
          summary: `A retired refresh token of ${reuse.actor.display_name ?? 'a member'} was presented again; the session was ended.`,
          actorId: reuse.userId,
          subject: { type: 'session', id: reuse.sessionId },
        }),
      );
    }
    if (organizations.length === 0) deps.logger.warn({ userId: reuse.userId, sessionId: reuse.sessionId, kind: 'refresh_token_reused' }, 'security alert raised');
  }

  return {
    issueForSession: async (sessionId, { userId, organizationId, source }) => {
      const outcome = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx): Promise<UserTokenPair | Refused> => {
        const now = clock.now();
        const session = await findSessionWithUser(tx, deps.integrity, sessionId, true);
        if (session === undefined || session.user_id !== userId || !sessionIsLive(session, now)) return { refused: new AppError('unauthenticated') };
        const actor = actorOf(session);
        if (organizationId !== undefined && !(await userOrganizations(tx)).includes(organizationId)) {
          await endSession(tx, { id: sessionId, user_id: session.user_id }, 'token_scope_refused', actor, source, now);
          return { refused: new AppError('forbidden', { detail: 'You are not a member of that organization.' }) };
        }
        // The session lives as long as its family: 7 days by default, or the organization policy's
        // stricter timeouts (idle counted between refreshes); it ends earlier when revoked.
        const limits = await deps.familyLimits(tx, { id: session.user_id, is_platform_admin: session.is_platform_admin }, { familySeconds: settings.refreshDays * 86_400, minIdleSeconds: TOKEN_SESSION_MIN_IDLE_SECONDS });
        const familyExpiresAt = new Date(now.getTime() + limits.absoluteSeconds * 1000);
        await extendSession(tx, sessionId, familyExpiresAt, limits.idleSeconds);
        const refresh = `${REFRESH_TOKEN_PREFIX}${newSecretToken(random)}`;
        const id = uuidv7(clock, random);
        await insertRefreshToken(tx, deps.integrity, { id, token_hash: digestToken(refresh), session_id: sessionId, organization_id: organizationId ?? null, created_at: now, family_expires_at: familyExpiresAt, retired_at: null, successor_id: null });
        await audit.record(tx, PLATFORM_TENANT_ID, {
          action: 'session.tokens_issued',
          actor,
          outcome: 'success',
          source,
          targets: [{ type: 'session', id: sessionId }],
          metadata: { refresh_token_id: id, family_expires_at: familyExpiresAt.toISOString(), ...(organizationId === undefined ? {} : { tid: organizationId }) },
        });
        return pair(await accessToken(session, organizationId ?? null, now), refresh);
      }, userId);
      if ('refused' in outcome) {
        deps.revoked?.(sessionId);
        throw outcome.refused;
      }
      return outcome;
    },

    refresh: async (presented, source) => {
      if (!REFRESH_TOKEN.test(presented)) throw invalid();
      const digest = digestToken(presented);
      const outcome = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx): Promise<UserTokenPair | Refused> => {
        // The row lock queues concurrent exchanges of the same token: the second one reads the
        // first one's committed result (READ COMMITTED re-reads a row it waited for).
        const row = await findRefreshToken(tx, deps.integrity, digest, true);
        if (row === undefined) return { refused: invalid() };
        const session = await findSessionWithUser(tx, deps.integrity, row.session_id, true);
        const now = clock.now();
        if (session === undefined || session.revoked_at !== null) return { refused: invalid() };
        const actor = actorOf(session);
        if (row.retired_at !== null) return retired(tx, row, session, actor, now);
        // AUTH-5: 7 days absolute from the family's start, however often it was rotated.
        if (now >= row.family_expires_at || !sessionIsLive(session, now)) return { refused: invalid() };
        // AUTH-6: a family refreshes at most `perMinute` times a minute, counted in the database so
        // every node sees the same count.
        if ((await countIssuedSince(tx, row.session_id, new Date(now.getTime() - 60_000))) >= settings.perMinute) {
          return { refused: new AppError('rate_limited', { detail: 'This refresh token family is refreshing too often.', headers: { 'retry-after': '60' } }) };
        }
        const successor = successorOf(presented);
        const successorId = uuidv7(clock, random);
        await insertRefreshToken(tx, deps.integrity, { id: successorId, token_hash: digestToken(successor), session_id: row.session_id, organization_id: row.organization_id, created_at: now, family_expires_at: row.family_expires_at, retired_at: null, successor_id: null });
        if (!(await retireRefreshToken(tx, deps.integrity, row, successorId, now))) throw new Error('refresh token retired under its own lock');
        await touchSession(tx, row.session_id, now);
        await audit.record(tx, PLATFORM_TENANT_ID, { action: 'session.token_refreshed', actor, outcome: 'success', source, targets: [{ type: 'session', id: row.session_id }], metadata: { refresh_token_id: successorId, retired: row.id } });
        return pair(await accessToken(session, row.organization_id, now), successor);
      });
      if ('refused' in outcome) {
        if (outcome.reuse !== undefined) {
          deps.revoked?.(outcome.reuse.sessionId);
          await alertReuse(outcome.reuse, source);
        }
        throw outcome.refused;
      }
      return outcome;

      /**
       * A retired token again. Within the grace window, and while its successor is still unused,
       * this is an honest client's concurrent double refresh: it gets the same successor (derived,
       * not stored) and a fresh access token. Otherwise it is reuse (RFC 9700 §4.14.2): someone
       * holds a copy of a token that was already exchanged, so the whole family and its session end.
       */
      async function retired(tx: Tx, row: RefreshTokenRow, session: LiveSession, actor: AuditActor, now: Date): Promise<UserTokenPair | Refused> {
        const retiredAt = row.retired_at ?? now;
        const successor = row.successor_id === null ? undefined : await findRefreshTokenById(tx, deps.integrity, row.successor_id);
        const withinGrace = now.getTime() - retiredAt.getTime() <= settings.graceSeconds * 1000;
        if (withinGrace && successor !== undefined && successor.retired_at === null && now < row.family_expires_at && sessionIsLive(session, now)) {
          const token = successorOf(presented);
          await audit.record(tx, PLATFORM_TENANT_ID, { action: 'session.token_refreshed', actor, outcome: 'success', source, targets: [{ type: 'session', id: row.session_id }], metadata: { refresh_token_id: successor.id, retired: row.id, grace: true } });
          return pair(await accessToken(session, row.organization_id, now), token);
        }
        await audit.recordForUser(tx, session.user_id, [{
          action: 'session.refresh_token_reused',
          actor,
          outcome: 'denied',
          source,
          targets: [{ type: 'session', id: row.session_id }],
          metadata: { refresh_token_id: row.id, retired_at: retiredAt.toISOString(), seconds_since_rotation: Math.round((now.getTime() - retiredAt.getTime()) / 1000) },
        }]);
        await endSession(tx, { id: row.session_id, user_id: session.user_id }, 'refresh_token_reused', actor, source, now);
        return { refused: invalid(), reuse: { userId: session.user_id, sessionId: row.session_id, actor } };
      }
    },

    revoke: async (token, source) => {
      if (!REFRESH_TOKEN.test(token)) return;
      const ended = await transactor.withTenant(PLATFORM_TENANT_ID, async (tx) => {
        const row = await findRefreshToken(tx, deps.integrity, digestToken(token), true);
        if (row === undefined) return undefined;
        const session = await findSessionWithUser(tx, deps.integrity, row.session_id, true);
        if (session === undefined) return undefined;
        // RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of the same grant.
        await endSession(tx, { id: row.session_id, user_id: session.user_id }, 'refresh_token_revoked', actorOf(session), source, clock.now());
        return row.session_id;
      });
      if (ended !== undefined) deps.revoked?.(ended);
    },
  };
}
