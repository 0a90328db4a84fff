import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../../platform/http/errors.ts';
import { answeredWithin } from '../../platform/redis/answered-within.ts';
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

/**
 * Admission as one script (issue 14): refuse while a lock runs or the next attempt is not yet due,
 * otherwise count the attempt as a failure at once (the FAIL_SCRIPT rule), before any password or
 * code is checked. Redis runs scripts one at a time, so a burst on every node is admitted one by
 * one. ARGV now, window, threshold, lock, free failures, first delay, max delay (ms), then a floor
 * counter held in PostgreSQL (failures, last, locked; failures -1 for none) merged in first.
 * Returns {1, failures, locked} when admitted, {0, failures, last, locked} when refused.
 */
const RESERVE_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local lock = tonumber(ARGV[4])
local free = tonumber(ARGV[5])
local first = tonumber(ARGV[6])
local maxDelay = tonumber(ARGV[7])
local floorFailures = tonumber(ARGV[8])
local stored = redis.call('HMGET', KEYS[1], 'failures', 'last', 'locked')
local failures = tonumber(stored[1])
local last = tonumber(stored[2])
local locked = tonumber(stored[3]) or 0
if floorFailures >= 0 then
  local floorLast = tonumber(ARGV[9])
  local floorLocked = tonumber(ARGV[10])
  if failures == nil or last == nil then
    failures = floorFailures
    last = floorLast
    locked = floorLocked
  else
    failures = math.max(failures, floorFailures)
    last = math.max(last, floorLast)
    locked = math.max(locked, floorLocked)
  end
end
if failures == nil or last == nil then
  failures = 1
else
  if locked > now then return {0, failures, last, locked} end
  local restart = last < now - window or (locked > 0 and locked <= now)
  if not restart and failures >= free then
    local due = last + math.min(first * 2 ^ math.min(failures - free, 30), maxDelay)
    if now < due then return {0, failures, last, locked} end
  end
  if restart then failures = 1 else failures = failures + 1 end
end
if failures >= threshold then locked = now + lock else locked = 0 end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', now, 'locked', locked)
redis.call('PEXPIRE', KEYS[1], math.max(window, locked - now))
return {1, failures, locked}
`;
const RESERVE_SHA = createHash('sha1').update(RESERVE_SCRIPT).digest('hex');

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
export function createRedisThrottleStore(deps: { client: Redis; keyPrefix: string; deadlineMs?: number }): ThrottleStore {
  const { client } = deps;
  const keyOf = (subject: Buffer) => deps.keyPrefix + subject.toString('hex');
  // With a deadline, `client` is a connection without ioredis's own command timeout (see answeredWithin).
  const answered = <T>(command: Promise<T>) => (deps.deadlineMs === undefined ? command : answeredWithin(command, deps.deadlineMs));

  async function run(script: string, sha: string, key: string, args: string[]): Promise<unknown> {
    try {
      return await answered(client.evalsha(sha, 1, key, ...args));
    } catch (error) {
      // The script cache is empty after a Redis restart or failover: send the script itself.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return answered(client.eval(script, 1, key, ...args));
    }
  }

  return {
    read: async (subject) => {
      let stored: (string | null)[];
      try {
        stored = await answered(client.hmget(keyOf(subject), 'failures', 'last', 'locked'));
      } catch (error) {
        throw unavailable(error);
      }
      const [failures, last, locked] = stored;
      if (failures == null || last == null) return undefined;
      const lockedUntilMs = Number(locked ?? 0);
      return { failures: Number(failures), lastFailureMs: Number(last), lockedUntilMs: lockedUntilMs > 0 ? lockedUntilMs : null };
    },
    reserve: async (subject, rule, options) => {
      const floor = options?.floor;
      const args = [rule.nowMs, rule.windowMs, rule.threshold, rule.lockMs, rule.freeFailures, rule.firstDelayMs, rule.maxDelayMs, floor?.failures ?? -1, floor?.lastFailureMs ?? 0, floor?.lockedUntilMs ?? 0];
      let reply: unknown;
      try {
        reply = await run(RESERVE_SCRIPT, RESERVE_SHA, keyOf(subject), args.map(String));
      } catch (error) {
        throw unavailable(error);
      }
      const [admitted, failures, third, fourth] = (reply as unknown[]).map(Number);
      if (admitted === 1) return { admitted: true, failures: failures ?? 0, lockedUntilMs: third !== undefined && third > 0 ? third : null };
      return { admitted: false, counter: { failures: failures ?? 0, lastFailureMs: third ?? 0, lockedUntilMs: fourth !== undefined && fourth > 0 ? fourth : null } };
    },
    fail: async (subject, rule) => {
      try {
        return Number(await run(FAIL_SCRIPT, FAIL_SHA, keyOf(subject), [String(rule.nowMs), String(rule.windowMs), String(rule.threshold), String(rule.lockMs)]));
      } catch (error) {
        throw unavailable(error);
      }
    },
    clear: async (subject) => {
      try {
        await answered(client.del(keyOf(subject)));
      } catch (error) {
        throw unavailable(error);
      }
    },
    purge: () => Promise.resolve(0),
  };
}
