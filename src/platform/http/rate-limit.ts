import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors.ts';

/** A fixed-window limiter keyed by client IP. */
export interface IpRateLimiter {
  /** Spends one point for `ip`; throws `rate_limited` with Retry-After once the window is spent. */
  consume(ip: string): Promise<void>;
}

export function createIpRateLimiter(pointsPerMinute: number, prefix: string): IpRateLimiter {
  const limiter = new RateLimiterMemory({ points: pointsPerMinute, duration: 60, keyPrefix: prefix });
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
