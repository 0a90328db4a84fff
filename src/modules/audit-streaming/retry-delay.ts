import type { Random } from '../../platform/crypto/random.ts';

export interface RetryPolicy {
  /** Ceiling of the first wait… */
  readonly baseMs: number;
  /** …doubling with each consecutive failure up to this cap. */
  readonly maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1000, maxMs: 5 * 60_000 };

/**
 * How long to wait after `failures` consecutive failures: exponential backoff, capped, with
 * "equal jitter" (half the ceiling plus a random part of the other half), so destinations that
 * failed together do not all retry in the same instant, yet no wait is shorter than half its step.
 */
export function retryDelayMs(failures: number, random: Random, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
  const fraction = random(4).readUInt32BE(0) / 2 ** 32;
  return Math.round(ceiling / 2 + (fraction * ceiling) / 2);
}
