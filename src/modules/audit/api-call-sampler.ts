import type { Random } from '../../platform/crypto/random.ts';

/** Decisions drawn per read of the random source. */
const DRAWS_PER_READ = 1024;

/**
 * Whether to record one more API call as `api.request`: true with probability `rate`
 * (`PARAPET_AUDIT_API_SAMPLING`), always at 1, never at 0. The injected random source is read
 * 4 KiB at a time, not 4 bytes per call: a `randomBytes` call per request cost more than the
 * rest of the recording hook (profiled in docs/benchmarks.md).
 */
export function apiCallSampler(rate: number, random: Random): () => boolean {
  if (rate >= 1) return () => true;
  if (rate <= 0) return () => false;
  let pool: Buffer = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset + 4 > pool.length) {
      pool = random(4 * DRAWS_PER_READ);
      offset = 0;
    }
    const draw = pool.readUInt32BE(offset);
    offset += 4;
    return draw / 2 ** 32 < rate;
  };
}
