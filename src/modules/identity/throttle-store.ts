import { sql } from 'kysely';
import type { AppTransactor, Tx } from '../../database.ts';

/** One subject's failure counter as a store holds it (times in epoch milliseconds). */
export interface ThrottleCounter {
  readonly failures: number;
  readonly lastFailureMs: number;
  /** When the running (or last) lock ends; null when the subject was never locked in this count. */
  readonly lockedUntilMs: number | null;
}

/** What one failure does to a counter, applied by the store in one atomic step. */
export interface FailureRule {
  /** The injected clock's time, so every node and every test agrees on "now". */
  readonly nowMs: number;
  /** A count whose last failure is older than this restarts at 1. */
  readonly windowMs: number;
  /** The count at which the subject is locked. */
  readonly threshold: number;
  readonly lockMs: number;
}

/**
 * Where the throttle keeps its counters: PostgreSQL by default, Redis when configured. Only the
 * storage differs; the delay schedule and refusals live in `login-throttle.ts`. `fail` must be
 * atomic across concurrent requests and nodes: it restarts the count when the last failure is
 * older than the window or a lock has run out, keeps a running lock, and locks for `lockMs` once
 * the count reaches `threshold`, all in one step, and returns the new count.
 */
export interface ThrottleStore {
  /** `tx`: a platform transaction the caller has open; a database store reads in it (one round trip less), others ignore it. */
  read(subject: Buffer, tx?: Tx): Promise<ThrottleCounter | undefined>;
  fail(subject: Buffer, rule: FailureRule): Promise<number>;
  clear(subject: Buffer): Promise<void>;
  /** Deletes counters with no failure in the window and no lock running; returns how many. */
  purge(nowMs: number, windowMs: number): Promise<number>;
}

/** Counters in the `login_throttle` table, one row per subject, each change one statement. */
export function createPostgresThrottleStore(transactor: AppTransactor): ThrottleStore {
  return {
    read: async (subject, open) => {
      const query = (tx: Tx) => tx.selectFrom('login_throttle').select(['failures', 'last_failure_at', 'locked_until']).where('subject', '=', subject).executeTakeFirst();
      const row = await (open === undefined ? transactor.withPlatform(query) : query(open));
      return row === undefined ? undefined : { failures: row.failures, lastFailureMs: row.last_failure_at.getTime(), lockedUntilMs: row.locked_until?.getTime() ?? null };
    },
    fail: async (subject, rule) => {
      const now = new Date(rule.nowMs);
      const windowStart = new Date(rule.nowMs - rule.windowMs);
      const lockUntil = new Date(rule.nowMs + rule.lockMs);
      // One statement: insert or increment (restarting the count when the last failure is old or a
      // lock has run out), and lock when the count reaches the threshold.
      const result = await transactor.withPlatform((tx) => sql<{ failures: number }>`
        insert into login_throttle as t (subject, failures, first_failure_at, last_failure_at, locked_until)
        values (${subject}, 1, ${now}, ${now}, ${rule.threshold <= 1 ? lockUntil : null})
        on conflict (subject) do update set
          failures = case when t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}) then 1 else t.failures + 1 end,
          first_failure_at = case when t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}) then ${now} else t.first_failure_at end,
          last_failure_at = ${now},
          locked_until = case
            when t.locked_until is not null and t.locked_until > ${now} then t.locked_until
            when (case when t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}) then 1 else t.failures + 1 end) >= ${rule.threshold} then ${lockUntil}::timestamptz
            else null end
        returning failures`.execute(tx));
      return result.rows[0]?.failures ?? 0;
    },
    clear: async (subject) => {
      await transactor.withPlatform((tx) => tx.deleteFrom('login_throttle').where('subject', '=', subject).execute());
    },
    purge: async (nowMs, windowMs) => {
      const now = new Date(nowMs);
      const result = await transactor.withPlatform((tx) =>
        tx
          .deleteFrom('login_throttle')
          .where('last_failure_at', '<', new Date(nowMs - windowMs))
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
          .executeTakeFirst(),
      );
      return Number(result.numDeletedRows);
    },
  };
}
