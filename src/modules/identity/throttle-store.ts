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

/** When an attempt may start: the spacing schedule (`login-throttle.ts`) that `reserve` applies. */
export interface AdmissionRule extends FailureRule {
  /** Failures before attempts are spaced out. */
  readonly freeFailures: number;
  /** The wait after `freeFailures` failures; each further failure doubles it, up to `maxDelayMs`. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** What `reserve` decided: the attempt is admitted and already counted, or refused by `counter`. */
export type Admission = { readonly admitted: true; readonly failures: number; readonly lockedUntilMs: number | null } | { readonly admitted: false; readonly counter: ThrottleCounter };

/** The wait after `failures` failures before the next attempt is due (0 while under `freeFailures`). */
export function delayAfter(failures: number, rule: Pick<AdmissionRule, 'freeFailures' | 'firstDelayMs' | 'maxDelayMs'>): number {
  if (failures < rule.freeFailures) return 0;
  return Math.min(rule.firstDelayMs * 2 ** Math.min(failures - rule.freeFailures, 30), rule.maxDelayMs);
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
  /**
   * Admission before any verification work (issue 14): in ONE atomic step, refuses when a lock is
   * running or the next attempt is not yet due, and otherwise counts the attempt as a failure
   * right away (exactly as `fail` would). A burst on any number of nodes is therefore admitted one
   * by one against the count the previous admissions left; a success clears the count afterwards.
   * `floor`: a counter held elsewhere (PostgreSQL, during a Redis outage) that the store merges in
   * first, so a count or lock made there is never skipped.
   */
  reserve(subject: Buffer, rule: AdmissionRule, options?: { readonly tx?: Tx | undefined; readonly floor?: ThrottleCounter | undefined }): Promise<Admission>;
  fail(subject: Buffer, rule: FailureRule): Promise<number>;
  clear(subject: Buffer): Promise<void>;
  /** Deletes counters with no failure in the window and no lock running; returns how many. */
  purge(nowMs: number, windowMs: number): Promise<number>;
}

async function readIn(tx: Tx, subject: Buffer): Promise<ThrottleCounter | undefined> {
  const row = await tx.selectFrom('login_throttle').select(['failures', 'last_failure_at', 'locked_until']).where('subject', '=', subject).executeTakeFirst();
  return row === undefined ? undefined : { failures: row.failures, lastFailureMs: row.last_failure_at.getTime(), lockedUntilMs: row.locked_until?.getTime() ?? null };
}

/** The PostgreSQL store, which can also take in a counter kept elsewhere (Redis's locks). */
export interface PostgresThrottleStore extends ThrottleStore {
  /** Raises the subject's counter to at least `counter`, field by field, in one statement. */
  merge(subject: Buffer, counter: ThrottleCounter, tx?: Tx): Promise<void>;
}

/** Counters in the `login_throttle` table, one row per subject, each change one statement. */
export function createPostgresThrottleStore(transactor: AppTransactor): PostgresThrottleStore {
  return {
    merge: async (subject, counter, open) => {
      const last = new Date(counter.lastFailureMs);
      const locked = counter.lockedUntilMs === null ? null : new Date(counter.lockedUntilMs);
      const run = (tx: Tx) =>
        sql`
          insert into login_throttle as t (subject, failures, first_failure_at, last_failure_at, locked_until)
          values (${subject}, ${counter.failures}, ${last}, ${last}, ${locked})
          on conflict (subject) do update set
            failures = greatest(t.failures, excluded.failures),
            last_failure_at = greatest(t.last_failure_at, excluded.last_failure_at),
            locked_until = greatest(t.locked_until, excluded.locked_until)`.execute(tx);
      await (open === undefined ? transactor.withPlatform(run) : run(open));
    },
    read: (subject, open) => (open === undefined ? transactor.withPlatform((tx) => readIn(tx, subject)) : readIn(open, subject)),
    reserve: async (subject, rule, options) => {
      const now = new Date(rule.nowMs);
      const windowStart = new Date(rule.nowMs - rule.windowMs);
      const lockUntil = new Date(rule.nowMs + rule.lockMs);
      // The count restarts when the last failure is old or a lock has run out (as in `fail`).
      const restart = sql<boolean>`(t.last_failure_at < ${windowStart} or (t.locked_until is not null and t.locked_until <= ${now}))`;
      const counted = sql<number>`(case when ${restart} then 1 else t.failures + 1 end)`;
      const delay = sql<number>`least(${rule.firstDelayMs}::float8 * power(2, least(t.failures - ${rule.freeFailures}::int, 30)), ${rule.maxDelayMs}::float8)`;
      const run = async (tx: Tx): Promise<Admission> => {
        // One statement: insert or count this attempt, unless a lock runs or the next attempt is
        // not yet due. ON CONFLICT DO UPDATE locks the row even when its WHERE refuses, so
        // concurrent reservations on every node queue here and each sees the previous one's count.
        const result = await sql<{ failures: number; locked_until: Date | null }>`
          insert into login_throttle as t (subject, failures, first_failure_at, last_failure_at, locked_until)
          values (${subject}, 1, ${now}, ${now}, ${rule.threshold <= 1 ? lockUntil : null})
          on conflict (subject) do update set
            failures = ${counted},
            first_failure_at = case when ${restart} then ${now} else t.first_failure_at end,
            last_failure_at = ${now},
            locked_until = case when ${counted} >= ${rule.threshold}::int then ${lockUntil}::timestamptz else null end
          where not (
            (t.locked_until is not null and t.locked_until > ${now})
            or (not ${restart} and t.failures >= ${rule.freeFailures}::int and ${now} < t.last_failure_at + make_interval(secs => ${delay} / 1000.0))
          )
          returning failures, locked_until`.execute(tx);
        const admitted = result.rows[0];
        if (admitted !== undefined) return { admitted: true, failures: admitted.failures, lockedUntilMs: admitted.locked_until?.getTime() ?? null };
        // Refused: the row is locked by this transaction, so this read is the counter that refused.
        const counter = await readIn(tx, subject);
        if (counter === undefined) throw new Error('login_throttle: a refused reservation left no counter');
        return { admitted: false, counter };
      };
      return options?.tx === undefined ? transactor.withPlatform(run) : run(options.tx);
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
