import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { normalizeEmail } from './identity-store.ts';

/** Failures before attempts are spaced out; from then on each waits twice as long, up to the cap. */
const FREE_FAILURES = 4;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
/** Failures older than this no longer count toward a lock. */
const FAILURE_WINDOW_MS = 24 * 3_600_000;

export interface LoginThrottle {
  /** Throws `too_many_attempts` when the account is locked or its next attempt is not yet due. */
  check(email: string): Promise<void>;
  /** Counts a failure atomically (across requests and nodes); returns the new count. */
  fail(email: string): Promise<number>;
  /** A successful sign-in clears the account's failures. */
  succeed(email: string): Promise<void>;
  /** Deletes counters with no failure in the window and no lock running; returns how many. */
  purge(): Promise<number>;
}

/**
 * Per-account brute-force protection (AUTH-6, OWASP ASVS 6.3.x / NIST SP 800-63B §5.2.2): after a
 * few failures, attempts are spaced out (1 s, 2 s, 4 s … up to 60 s), and after `threshold` failures
 * the account is locked for `lockMinutes`, even for the right password. Counters live in Postgres
 * and change in one statement, so concurrent attempts on any number of nodes are all counted.
 * The subject is an HMAC of the normalized email: unknown accounts are throttled exactly like real
 * ones, so a lock never reveals whether an account exists.
 */
export function createLoginThrottle(deps: {
  transactor: AppTransactor;
  clock: Clock;
  key: Buffer;
  threshold: number;
  lockMinutes: number;
  /**
   * Counts something other than email sign-ins (e.g. `passkey`): identifiers are then taken
   * verbatim, under a key derived for the namespace, so they never collide with emails or with
   * another namespace's identifiers.
   */
  namespace?: string;
}): LoginThrottle {
  const { transactor, clock, namespace } = deps;
  const key = namespace === undefined ? deps.key : createHmac('sha256', deps.key).update(`namespace:${namespace}`).digest();
  const subjectOf = (email: string) => createHmac('sha256', key).update(namespace === undefined ? normalizeEmail(email) : email).digest();

  function delayAfter(failures: number): number {
    if (failures < FREE_FAILURES) return 0;
    return Math.min(FIRST_DELAY_MS * 2 ** (failures - FREE_FAILURES), MAX_DELAY_MS);
  }

  function refuse(untilMs: number, now: number): never {
    const seconds = Math.max(1, Math.ceil((untilMs - now) / 1000));
    throw new AppError('too_many_attempts', { detail: `Too many failed sign-ins for this account. Try again in ${seconds} s.`, headers: { 'retry-after': String(seconds) } });
  }

  return {
    check: async (email) => {
      const row = await transactor.withPlatform((tx) =>
        tx.selectFrom('login_throttle').select(['failures', 'last_failure_at', 'locked_until']).where('subject', '=', subjectOf(email)).executeTakeFirst(),
      );
      if (row === undefined) return;
      const now = clock.now().getTime();
      if (row.locked_until !== null && now < row.locked_until.getTime()) refuse(row.locked_until.getTime(), now);
      if (now - row.last_failure_at.getTime() >= FAILURE_WINDOW_MS) return;
      const due = row.last_failure_at.getTime() + delayAfter(row.failures);
      if (now < due) refuse(due, now);
    },
    fail: async (email) => {
      const now = clock.now();
      const windowStart = new Date(now.getTime() - FAILURE_WINDOW_MS);
      const lockUntil = new Date(now.getTime() + deps.lockMinutes * 60_000);
      // One statement: insert or increment (restarting the count when the last failure is old or a
      // lock has run out), and lock when the count reaches the threshold.
      const result = await transactor.withPlatform((tx) => sql<{ failures: number }>`
        insert into login_throttle as t (subject, failures, first_failure_at, last_failure_at, locked_until)
        values (${subjectOf(email)}, 1, ${now}, ${now}, ${deps.threshold <= 1 ? lockUntil : null})
        on conflict (subject) do update set
          failures = case when t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}) then 1 else t.failures + 1 end,
          first_failure_at = case when t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}) then ${now} else t.first_failure_at end,
          last_failure_at = ${now},
          locked_until = case
            when t.locked_until is not null and t.locked_until > ${now} then t.locked_until
            when (case when t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}) then 1 else t.failures + 1 end) >= ${deps.threshold} then ${lockUntil}::timestamptz
            else null end
        returning failures`.execute(tx));
      return result.rows[0]?.failures ?? 0;
    },
    purge: async () => {
      const now = clock.now();
      const result = await transactor.withPlatform((tx) =>
        tx
          .deleteFrom('login_throttle')
          .where('last_failure_at', '<', new Date(now.getTime() - FAILURE_WINDOW_MS))
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
          .executeTakeFirst(),
      );
      return Number(result.numDeletedRows);
    },
    succeed: async (email) => {
      await transactor.withPlatform((tx) => tx.deleteFrom('login_throttle').where('subject', '=', subjectOf(email)).execute());
    },
  };
}
