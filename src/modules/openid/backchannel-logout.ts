import { randomUUID, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { SignJWT } from 'jose';
import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { Database } from '../../platform/db/index.ts';
import type { ChangeFeed } from '../../platform/notify/change-feed.ts';
import { createDueTracker, startLeaderLoop } from '../../platform/jobs/leader-loop.ts';
import type { AddressGuard } from '../audit-streaming/index.ts';
import type { ApplicationRow } from './applications-service.ts';
import { guardedRequest } from './guarded-http.ts';
import type { SigningAlg } from './openid-tables.ts';

/** The event a logout token carries (OpenID Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** The logout token's JOSE `typ` (§2.4: explicit typing, so no ID token passes for one). */
export const LOGOUT_TOKEN_TYP = 'logout+jwt';
/** A logout token is valid this long: each attempt signs a new one. */
const LOGOUT_TOKEN_TTL_S = 120;
/** Waits before each retry (1 s … 30 min, ~43 min in all); then the notice is given up. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000];
/** A claimed notice is hidden from other senders this long (longer than one attempt can take). */
const LEASE_MS = 30_000;
/** Advisory-lock key of the outbox's delivery job. */
export const BACKCHANNEL_OUTBOX_LOCK_KEY = 7450104091;
const BATCH = 20;
/** Change-feed topic announcing a retry's due time (ms since the epoch) to the node running the job. */
const RETRY_TOPIC = 'oidc-backchannel-retry';
/** With the feed, the job only polls this often; without it, every second. */
const SAFETY_POLL_MS = 60_000;

/** One grant of an ended Parapet session. */
export interface EndedGrant {
  readonly clientId: string;
  readonly userId: string;
  /** The provider's sid for this client (the ID token's `sid`); null when no code was ever issued. */
  readonly sid: string | null;
}

/** A key to sign an application's logout tokens with: the algorithm of its ID tokens. */
export interface LogoutSigningKey {
  readonly alg: SigningAlg;
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface BackchannelLogout {
  /**
   * Queues one logout notice per (application, sid) of the ended grants, for applications with a
   * `backchannel_logout_uri`, in the durable outbox; then makes each first attempt at once. A notice
   * that fails is retried by the outbox job (`deliverDue`) on whichever node leads.
   */
  notify(grants: readonly EndedGrant[]): Promise<void>;
  /** One pass of the outbox job: attempts up to a batch of due notices; returns how many. */
  deliverDue(): Promise<number>;
  /** The outbox job: `deliverDue` on the node holding advisory lock 7450104091. */
  startJob<DB>(db: Database<DB>, options?: { idleMs?: number; retryMs?: number }): () => Promise<void>;
}

interface OutboxRow {
  id: string;
  client_id: string;
  user_id: string;
  sid: string;
  attempts: number;
}

/**
 * OpenID Back-Channel Logout 1.0 through a durable outbox (`oidc_backchannel_outbox`): the logout
 * token is signed like the application's ID tokens (EdDSA or RS256, the current key), posted as
 * `logout_token` in a form body through the outbound address guard (no private or reserved address
 * unless the operator allowed its network; DNS answers filtered at connection, so no rebinding),
 * redirects never followed. A failed attempt is retried with backoff, surviving restarts; each
 * notice is claimed with a lease so one node sends it at a time.
 */
export function createBackchannelLogout(deps: {
  issuer: string;
  signingKey: (app: ApplicationRow) => Promise<LogoutSigningKey>;
  guard: AddressGuard;
  application: (clientId: string) => Promise<ApplicationRow | undefined>;
  transactor: AppTransactor;
  clock: Clock;
  random: Random;
  logger: Pick<Logger, 'warn' | 'info' | 'error'>;
  retryDelaysMs?: readonly number[];
  /** Wakes the job when a retry is scheduled on any node; without it the job polls every second. */
  feed?: ChangeFeed;
}): BackchannelLogout {
  const delays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const platform = deps.transactor.withPlatform.bind(deps.transactor);
  /** When a notice is next due (this node's retries, the feed's, the last pass's look). */
  const due = createDueTracker(() => deps.clock.now().getTime());

  async function logoutToken(app: ApplicationRow, row: OutboxRow): Promise<string> {
    const key = await deps.signingKey(app);
    const iat = Math.floor(deps.clock.now().getTime() / 1000);
    // §2.4: iss, aud, iat, exp, jti, events, sid (and sub); never a nonce.
    return new SignJWT({ sid: row.sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } })
      .setProtectedHeader({ alg: key.alg, typ: LOGOUT_TOKEN_TYP, kid: key.kid })
      .setIssuer(deps.issuer)
      .setAudience(app.id)
      .setSubject(row.user_id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + LOGOUT_TOKEN_TTL_S)
      // A new jti for every attempt: a receiver may reject a replayed one.
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  /**
   * Claims due notices (all due ones, or those of `ids`) by pushing them a lease ahead. The job's
   * claim also looks up when the next notice comes due, in the same transaction, so the job sleeps
   * until then instead of polling.
   */
  const claim = (ids: readonly string[] | undefined) =>
    platform(async (tx) => {
      const now = deps.clock.now();
      const leaseEnd = new Date(now.getTime() + LEASE_MS);
      const picked = ids === undefined ? sql`select id from oidc_backchannel_outbox where next_attempt_at <= ${now} order by next_attempt_at limit ${BATCH} for update skip locked` : sql`select id from oidc_backchannel_outbox where next_attempt_at <= ${now} and id = any(${[...ids]}::uuid[]) for update skip locked`;
      const claimed = await sql<OutboxRow>`update oidc_backchannel_outbox set next_attempt_at = ${leaseEnd} where id in (${picked}) returning id, client_id, user_id, sid, attempts`.execute(tx);
      if (ids === undefined) {
        const next = await tx.selectFrom('oidc_backchannel_outbox').select((eb) => eb.fn.min('next_attempt_at').as('next')).executeTakeFirst();
        due.set(next?.next == null ? undefined : new Date(next.next).getTime());
      }
      return claimed.rows;
    });

  async function attempt(row: OutboxRow): Promise<void> {
    const app = await deps.application(row.client_id);
    if (app?.backchannel_logout_uri == null) {
      // The application was deleted or no longer listens: nothing is owed any more.
      await platform((tx) => tx.deleteFrom('oidc_backchannel_outbox').where('id', '=', row.id).execute());
      return;
    }
    let failure: string;
    try {
      const token = await logoutToken(app, row);
      const body = new URLSearchParams({ logout_token: token }).toString();
      const answer = await guardedRequest(deps.guard, app.backchannel_logout_uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'user-agent': 'Parapet-OIDC-Backchannel-Logout/1', 'cache-control': 'no-store' },
        body,
        maxBytes: 0,
      });
      // §2.8: 200 OK (or 204) is success; a redirect is not followed.
      if (answer.status === 200 || answer.status === 204) {
        await platform((tx) => tx.deleteFrom('oidc_backchannel_outbox').where('id', '=', row.id).execute());
        return;
      }
      failure = `HTTP ${answer.status}${answer.status >= 300 && answer.status < 400 ? ' (redirects are not followed)' : ''}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : 'failed';
    }
    const attempts = row.attempts + 1;
    const delay = delays[row.attempts];
    if (delay === undefined) {
      deps.logger.warn({ client_id: app.id, attempts, err: failure }, 'OpenID back-channel logout could not be delivered');
      await platform((tx) => tx.deleteFrom('oidc_backchannel_outbox').where('id', '=', row.id).execute());
      return;
    }
    const dueMs = deps.clock.now().getTime() + delay;
    due.note(dueMs);
    await platform(async (tx) => {
      // Whichever node runs the job hears of the retry when this commits, and sleeps until it is due.
      await deps.feed?.publish(tx as never, RETRY_TOPIC, String(dueMs));
      return tx
        .updateTable('oidc_backchannel_outbox')
        .set({ attempts, next_attempt_at: new Date(dueMs), last_error: failure.slice(0, 200) })
        .where('id', '=', row.id)
        .execute();
    });
  }

  const attemptAll = (rows: readonly OutboxRow[]) =>
    Promise.all(
      rows.map((row) =>
        attempt(row).catch((error: unknown) => {
          deps.logger.error({ err: error, client_id: row.client_id }, 'an OpenID back-channel logout attempt failed');
        }),
      ),
    );

  const deliverDue = async () => {
    const rows = await claim(undefined);
    await attemptAll(rows);
    return rows.length;
  };

  return {
    notify: async (grants) => {
      const ids: string[] = [];
      // One notice per (client, sid): several grants of one provider session share a sid.
      const seen = new Set<string>();
      for (const grant of grants) {
        if (grant.sid === null) continue;
        const key = `${grant.clientId}\n${grant.sid}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const app = await deps.application(grant.clientId);
        if (app?.backchannel_logout_uri == null) continue;
        const id = uuidv7(deps.clock, deps.random);
        const inserted = await platform((tx) =>
          tx
            .insertInto('oidc_backchannel_outbox')
            .values({ id, client_id: grant.clientId, user_id: grant.userId, sid: grant.sid ?? '', attempts: 0, next_attempt_at: deps.clock.now(), last_error: null, created_at: deps.clock.now() })
            .onConflict((oc) => oc.columns(['client_id', 'sid']).doNothing())
            .executeTakeFirst(),
        );
        if (inserted.numInsertedOrUpdatedRows === 1n) ids.push(id);
      }
      if (ids.length > 0) await attemptAll(await claim(ids));
    },
    deliverDue,
    startJob: (db, options = {}) => {
      const feed = deps.feed;
      return startLeaderLoop({
        db,
        lockKey: BACKCHANNEL_OUTBOX_LOCK_KEY,
        name: 'OpenID back-channel logout outbox',
        logger: deps.logger,
        pass: deliverDue,
        // Idle nodes wait on the feed and the next due time, not on a poll (issue 16).
        idleMs: options.idleMs ?? (feed === undefined ? 1_000 : SAFETY_POLL_MS),
        idleDelay: due.idleDelay,
        ...(feed === undefined
          ? {}
          : {
              wakeOn: (wake: () => void) =>
                feed.subscribe(
                  RETRY_TOPIC,
                  (key) => {
                    due.note(Number(key));
                    wake();
                  },
                  wake,
                ),
            }),
        ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
      });
    },
  };
}
