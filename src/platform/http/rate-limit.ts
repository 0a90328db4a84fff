import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisHealth } from '../redis/redis-health.ts';
import { AppError } from './errors.ts';

/** A fixed-window limiter keyed by client IP. */
export interface IpRateLimiter {
  /** Spends one point for `ip`; throws `rate_limited` with Retry-After once the window is spent. */
  consume(ip: string): Promise<void>;
}

/** Where limits are counted when they are shared by every node (`PARAPET_REDIS_URL`). */
export interface SharedLimits {
  readonly client: Redis;
  /** Prepended to the limiter's name in every key (`parapet:rate:` → `parapet:rate:auth:<ip>`). */
  readonly keyPrefix: string;
  readonly logger: Logger;
  /** Told of every request counted in memory because Redis did not answer (it logs once per outage). */
  readonly health?: RedisHealth;
}

/**
 * The in-memory limiter rate-limiter-flexible consults whenever Redis does not answer. It tells
 * `used` each time, so the switch to per-node limits can be logged.
 */
class InsuranceLimiter extends RateLimiterMemory {
  readonly #used: () => void;

  constructor(options: ConstructorParameters<typeof RateLimiterMemory>[0], used: () => void) {
    super(options);
    this.#used = used;
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.#used();
    return super.consume(key, points, options);
  }
}

/**
 * Per-IP limit of `pointsPerMinute`. Alone it counts in this node's memory. With `shared`, every
 * node counts in Redis (one Lua script per request, atomic), so an attacker spreading requests
 * over nodes gets no more than the limit; when Redis is down or slow, each node falls back to its
 * own memory (rate-limiter-flexible's insurance limiter) rather than failing requests, and says so
 * once per outage.
 */
export function createIpRateLimiter(pointsPerMinute: number, prefix: string, shared?: SharedLimits): IpRateLimiter {
  const options = { points: pointsPerMinute, duration: 60, keyPrefix: prefix };
  let limiter: RateLimiterMemory | RateLimiterRedis;
  if (shared === undefined) {
    limiter = new RateLimiterMemory(options);
  } else {
    let warned = false;
    const insurance = new InsuranceLimiter(options, () => {
      if (shared.health !== undefined) {
        shared.health.down('rate_limits');
        return;
      }
      if (warned) return;
      warned = true;
      shared.logger.warn({ limiter: prefix }, 'Redis does not answer: per-IP rate limits are counted per node until it is back');
    });
    // Warn again at the next outage.
    shared.client.on('ready', () => {
      warned = false;
    });
    limiter = new RateLimiterRedis({
      ...options,
      keyPrefix: shared.keyPrefix + prefix,
      storeClient: shared.client,
      // Straight to the insurance while the connection is down, instead of a failing command.
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance,
    });
  }
  return {
    consume: async (ip) => {
      try {
        await limiter.consume(ip);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new AppError('rate_limited', { detail: `Try again in ${seconds} s.`, headers: { 'retry-after': String(seconds) } });
      }
    },
  };
}
