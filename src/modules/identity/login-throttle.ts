import { createHmac } from 'node:crypto';
import type { Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { normalizeEmail } from './identity-store.ts';
import { delayAfter, type ThrottleStore } from './throttle-store.ts';

/** Failures before attempts are spaced out; from then on each waits twice as long, up to the cap. */
const SPACING = { freeFailures: 4, firstDelayMs: 1000, maxDelayMs: 60_000 } as const;
/** Failures older than this no longer count toward a lock. */
const FAILURE_WINDOW_MS = 24 * 3_600_000;

export interface LoginThrottle {
  /**
   * Throws `too_many_attempts` when the account is locked or its next attempt is not yet due.
   * Resolves to whether a counter exists (so a success with none to clear can skip `succeed`).
   */
  check(identifier: string, tx?: Tx): Promise<boolean>;
  /**
   * Admits one attempt BEFORE any password or code is checked, counting it as a failure in the
   * same atomic step (across requests and nodes); resolves to the count including it. Throws
   * `too_many_attempts` when the account is locked or its next attempt is not yet due. A verified
   * attempt then calls `succeed`; a failed one has nothing more to record.
   */
  reserve(identifier: string, tx?: Tx): Promise<number>;
  /** Counts a failure atomically (across requests and nodes); returns the new count. */
  fail(identifier: string): Promise<number>;
  /** A successful sign-in clears the account's failures. */
  succeed(identifier: string): Promise<void>;
  /** Deletes counters with no failure in the window and no lock running; returns how many. */
  purge(): Promise<number>;
}

/**
 * Per-account brute-force protection (AUTH-6, OWASP ASVS 6.3.x / NIST SP 800-63B §5.2.2): after a
 * few failures, attempts are spaced out (1 s, 2 s, 4 s … up to 60 s), and after `threshold` failures
 * the account is locked for `lockMinutes`, even for the right password. Counters live in a
 * `ThrottleStore` (PostgreSQL, or Redis when configured) that counts each failure in one atomic
 * step, so concurrent attempts on any number of nodes are all counted. Verifications go through
 * `reserve` (issue 14): admission and counting are that one step, taken before the password or
 * code is checked, so a parallel burst cannot all pass the count from before it.
 * The subject is an HMAC of the normalized email: unknown accounts are throttled exactly like real
 * ones, so a lock never reveals whether an account exists.
 * With a `namespace` (e.g. `mfa`, keyed by user id) the same store keeps a separate count for
 * another credential of the account: second-factor failures lock the second-factor step.
 */
export function createLoginThrottle(deps: { store: ThrottleStore; clock: Clock; key: Buffer; threshold: number; lockMinutes: number; namespace?: string; identifiers?: 'email' | 'exact' }): LoginThrottle {
  return createThrottle({ ...deps, namespace: deps.namespace ?? 'login' });
}

/**
 * The same throttle for another kind of subject (an account's reset requests, a client's invalid
 * links …). Subjects of different namespaces never share a counter: the namespace is part of the
 * HMAC input (`login` keeps the bare email, as before namespaces existed).
 */
export function createThrottle(deps: {
  store: ThrottleStore;
  clock: Clock;
  key: Buffer;
  threshold: number;
  lockMinutes: number;
  namespace: string;
  refusal?: string;
  /**
   * `email` (default): identifiers are normalized like addresses (NFKC, lower case), so `Ana@` and
   * `ana@` share one counter. `exact`: case-sensitive identifiers (WebAuthn credential ids are
   * base64url) are counted as given, so two credentials never share a counter.
   */
  identifiers?: 'email' | 'exact';
}): LoginThrottle {
  const { store, clock } = deps;
  const prefix = deps.namespace === 'login' ? '' : `${deps.namespace}\u0000`;
  const normalize = deps.identifiers === 'exact' ? (id: string) => id : normalizeEmail;
  const subjectOf = (identifier: string) => createHmac('sha256', deps.key).update(prefix + normalize(identifier)).digest();

  function refuse(untilMs: number, now: number): never {
    const seconds = Math.max(1, Math.ceil((untilMs - now) / 1000));
    throw new AppError('too_many_attempts', { detail: `${deps.refusal ?? 'Too many failed sign-ins for this account.'} Try again in ${seconds} s.`, headers: { 'retry-after': String(seconds) } });
  }

  const failureRule = (nowMs: number) => ({ nowMs, windowMs: FAILURE_WINDOW_MS, threshold: deps.threshold, lockMs: deps.lockMinutes * 60_000 });

  return {
    check: async (email, tx) => {
      const counter = await store.read(subjectOf(email), tx);
      if (counter === undefined) return false;
      const now = clock.now().getTime();
      if (counter.lockedUntilMs !== null && now < counter.lockedUntilMs) refuse(counter.lockedUntilMs, now);
      if (now - counter.lastFailureMs >= FAILURE_WINDOW_MS) return true;
      const due = counter.lastFailureMs + delayAfter(counter.failures, SPACING);
      if (now < due) refuse(due, now);
      return true;
    },
    reserve: async (email, tx) => {
      const nowMs = clock.now().getTime();
      const admission = await store.reserve(subjectOf(email), { ...failureRule(nowMs), ...SPACING }, { tx });
      if (admission.admitted) return admission.failures;
      const { counter } = admission;
      if (counter.lockedUntilMs !== null && nowMs < counter.lockedUntilMs) refuse(counter.lockedUntilMs, nowMs);
      refuse(counter.lastFailureMs + delayAfter(counter.failures, SPACING), nowMs);
    },
    fail: (email) => store.fail(subjectOf(email), failureRule(clock.now().getTime())),
    purge: () => store.purge(clock.now().getTime(), FAILURE_WINDOW_MS),
    succeed: (email) => store.clear(subjectOf(email)),
  };
}
