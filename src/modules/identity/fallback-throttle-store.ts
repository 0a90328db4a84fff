import { AppError } from '../../platform/http/errors.ts';
import { RedisDeadlineError } from '../../platform/redis/answered-within.ts';
import type { RedisHealth } from '../../platform/redis/redis-health.ts';
import type { PostgresThrottleStore, ThrottleCounter, ThrottleStore } from './throttle-store.ts';

/** The later of two counters of one subject, field by field (a lock anywhere is a lock). */
function merged(a: ThrottleCounter | undefined, b: ThrottleCounter | undefined): ThrottleCounter | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const locks = [a.lockedUntilMs, b.lockedUntilMs].filter((ms): ms is number => ms !== null);
  return { failures: Math.max(a.failures, b.failures), lastFailureMs: Math.max(a.lastFailureMs, b.lastFailureMs), lockedUntilMs: locks.length === 0 ? null : Math.max(...locks) };
}

const unanswered = (error: unknown) => error instanceof AppError && error.code === 'service_unavailable';
/** The command missed its deadline on a connection that was up: it may still have run in Redis. */
const late = (error: unknown) => error instanceof AppError && error.cause instanceof RedisDeadlineError;

/** How long Redis may answer nothing but late, on a live connection, before that counts as an outage. */
export const SLOW_REDIS_OUTAGE_MS = 2_000;

/**
 * Sign-in counters in Redis that survive a Redis outage (issue 15 part 2). Redis is the store;
 * PostgreSQL is both the fallback and a floor:
 * - while Redis does not answer, every operation runs on PostgreSQL (`login_throttle`, the same
 *   atomic statements as without Redis), so counting and locks stay atomic across nodes;
 * - every admission first reads the subject's PostgreSQL counter (inside the sign-in's own
 *   transaction when it has one) and the Redis script merges it in, so a count or lock made during
 *   an outage holds once Redis is back, until it expires there (24 h window, or the lock's end);
 * - a lock set in Redis is copied to PostgreSQL at once, so an outage that starts after it does not
 *   lift it;
 * - a success clears both.
 * Counts below the threshold kept in Redis are not seen during an outage (each store then counts
 * on its own, and the larger count wins afterwards); locks always are.
 *
 * An outage is a closed connection, or a live one on which every command has been late for
 * `SLOW_REDIS_OUTAGE_MS`. A single late answer is not: the command may still have run in Redis, so
 * counting the attempt in PostgreSQL as well would start a second, lower count beside the first
 * and admit attempts Redis refuses — up to twice the free attempts for a client able to slow Redis
 * (or this node) down. That attempt is refused instead (503, the same answer for every account).
 */
export function createFallbackThrottleStore(deps: { redis: ThrottleStore; postgres: PostgresThrottleStore; health: RedisHealth; slowOutageMs?: number; now?: () => number }): ThrottleStore {
  const { redis, postgres, health } = deps;
  const slowOutageMs = deps.slowOutageMs ?? SLOW_REDIS_OUTAGE_MS;
  const now = deps.now ?? (() => performance.now());
  /** Since when every command has been late (undefined once one is answered in time). */
  let lateSince: number | undefined;

  /**
   * Runs `primary` on Redis, or `fallback` on PostgreSQL when Redis does not answer. A late answer
   * is refused unless `lateFallsBack` (a fallback that counts nothing, e.g. clearing).
   */
  async function either<T>(primary: () => Promise<T>, fallback: () => Promise<T>, lateFallsBack = false): Promise<T> {
    let result: T;
    try {
      result = await primary();
    } catch (error) {
      if (!unanswered(error)) throw error;
      if (lateFallsBack && late(error)) return fallback();
      if (late(error)) {
        lateSince ??= now();
        if (now() - lateSince < slowOutageMs) throw error;
      }
      health.down('sign_in_counters');
      return fallback();
    }
    lateSince = undefined;
    health.up();
    return result;
  }

  return {
    read: async (subject, tx) => {
      const floor = await postgres.read(subject, tx);
      return either(
        async () => merged(await redis.read(subject), floor),
        () => Promise.resolve(floor),
      );
    },
    reserve: async (subject, rule, options) => {
      const floor = await postgres.read(subject, options?.tx);
      const admission = await either(
        () => redis.reserve(subject, rule, { floor }),
        () => postgres.reserve(subject, rule, { tx: options?.tx }),
      );
      // The reservation that locked the subject in Redis: the lock must outlive a Redis outage.
      if (admission.admitted && admission.lockedUntilMs !== null) {
        // In the caller's transaction when it has one (a second one could wait on it: PGlite has one connection).
        await postgres.merge(subject, { failures: admission.failures, lastFailureMs: rule.nowMs, lockedUntilMs: admission.lockedUntilMs }, options?.tx);
      }
      return admission;
    },
    fail: async (subject, rule) => {
      const counted = await either(
        async () => ({ failures: await redis.fail(subject, rule), inRedis: true }),
        async () => ({ failures: await postgres.fail(subject, rule), inRedis: false }),
      );
      // The failure that locked the subject in Redis: copied, like a reservation's.
      if (counted.inRedis && counted.failures === rule.threshold) await postgres.merge(subject, { failures: counted.failures, lastFailureMs: rule.nowMs, lockedUntilMs: rule.nowMs + rule.lockMs });
      return counted.failures;
    },
    clear: async (subject) => {
      // A late clear may or may not have run: the counter then expires on its own, or the next success clears it.
      await either(
        () => redis.clear(subject),
        () => Promise.resolve(),
        true,
      );
      await postgres.clear(subject);
    },
    // Redis expires its own keys; PostgreSQL keeps what outages and mirrored locks left.
    purge: (nowMs, windowMs) => postgres.purge(nowMs, windowMs),
  };
}
