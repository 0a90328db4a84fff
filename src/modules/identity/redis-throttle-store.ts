import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../../platform/http/errors.ts';
import type { ThrottleStore } from './throttle-store.ts';

/**
 * The failure count's read-modify-write as one Lua script: Redis runs a script alone, so
 * concurrent failures on any number of nodes are all counted (no lost update between a read and a
 * write). Same rule as the PostgreSQL statement in `throttle-store.ts`. The time comes in as an
 * argument (the app's injected clock), never from the Redis server. Lock end 0 means "no lock".
 * The key expires by itself once neither the window nor the lock needs it (TTLs are relative, so
 * clock skew between the nodes and Redis does not matter).
 * KEYS[1] the subject's hash; ARGV now, window, threshold, lock (milliseconds but threshold).
 */
const FAIL_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local lock = tonumber(ARGV[4])
local stored = redis.call('HMGET', KEYS[1], 'failures', 'last', 'locked')
local failures = tonumber(stored[1])
local last = tonumber(stored[2])
local locked = tonumber(stored[3]) or 0
if failures == nil or last < now - window or (locked > 0 and locked <= now) then
  failures = 1
else
  failures = failures + 1
end
if locked <= now then
  if failures >= threshold then locked = now + lock else locked = 0 end
end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', now, 'locked', locked)
redis.call('PEXPIRE', KEYS[1], math.max(window, locked - now))
return failures
`;
const FAIL_SHA = createHash('sha1').update(FAIL_SCRIPT).digest('hex');

/** Failing closed: without its counters, no sign-in is judged (the same answer for every account). */
function unavailable(cause: unknown): AppError {
  return new AppError('service_unavailable', { detail: 'Sign-in is briefly unavailable. Try again shortly.', headers: { 'retry-after': '5' }, cause });
}

/**
 * Throttle counters in Redis (`PARAPET_REDIS_URL`): a hash per subject under `keyPrefix` + the hex
 * HMAC subject (never an address). Counters expire on their own, so `purge` has nothing to do.
 * When Redis does not answer, every check and failure answers `503 service_unavailable`: a lock
 * must not be skipped because its counter cannot be read.
 */
export function createRedisThrottleStore(deps: { client: Redis; keyPrefix: string }): ThrottleStore {
  const { client } = deps;
  const keyOf = (subject: Buffer) => deps.keyPrefix + subject.toString('hex');

  async function runFail(key: string, args: string[]): Promise<unknown> {
    try {
      return await client.evalsha(FAIL_SHA, 1, key, ...args);
    } catch (error) {
      // The script cache is empty after a Redis restart or failover: send the script itself.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(FAIL_SCRIPT, 1, key, ...args);
    }
  }

  return {
    read: async (subject) => {
      let stored: (string | null)[];
      try {
        stored = await client.hmget(keyOf(subject), 'failures', 'last', 'locked');
      } catch (error) {
        throw unavailable(error);
      }
      const [failures, last, locked] = stored;
      if (failures == null || last == null) return undefined;
      const lockedUntilMs = Number(locked ?? 0);
      return { failures: Number(failures), lastFailureMs: Number(last), lockedUntilMs: lockedUntilMs > 0 ? lockedUntilMs : null };
    },
    fail: async (subject, rule) => {
      try {
        return Number(await runFail(keyOf(subject), [String(rule.nowMs), String(rule.windowMs), String(rule.threshold), String(rule.lockMs)]));
      } catch (error) {
        throw unavailable(error);
      }
    },
    clear: async (subject) => {
      try {
        await client.del(keyOf(subject));
      } catch (error) {
        throw unavailable(error);
      }
    },
    purge: () => Promise.resolve(0),
  };
}
