import { cidrMatcher, parseCidr } from '../../platform/net/cidr.ts';

/**
 * Conditions a role binding may carry (AC-3). All present conditions must hold for the binding to
 * grant anything. Stored as JSON on the binding; compiled once per snapshot.
 */
export interface Conditions {
  /** Source address in one of these CIDR ranges (IPv4 or IPv6). */
  readonly ip?: readonly string[];
  /** The session (or token) was authenticated with a second factor. */
  readonly mfa?: boolean;
  /** Local time window: days 1 (Monday) … 7 (Sunday), `start` ≤ time < `end`, both `HH:MM`. */
  readonly time?: { readonly timezone: string; readonly days?: readonly number[]; readonly start: string; readonly end: string };
}

/** Which requirement a request failed; the stable problem code a denial carries. */
export type ConditionFailure = 'ip_not_allowed' | 'mfa_required' | 'outside_time_window';

export interface CompiledConditions {
  readonly check: (facts: { readonly ip: string; readonly mfa: boolean; readonly now: Date }) => ConditionFailure | undefined;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function minutesOf(hhmm: string): number {
  const match = TIME.exec(hhmm);
  if (match === null) throw new Error(`not a time of day: ${hhmm}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** True when `timezone` is an IANA zone this runtime knows. */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Problems with a conditions object, as messages; empty when it can be compiled. */
export function conditionProblems(conditions: Conditions): string[] {
  const problems: string[] = [];
  for (const range of conditions.ip ?? []) if (parseCidr(range, { bareAddress: true }) === undefined) problems.push(`ip: "${range.slice(0, 64)}" is not a CIDR range`);
  if (conditions.ip?.length === 0) problems.push('ip: the list is empty (omit it to allow any address)');
  const time = conditions.time;
  if (time !== undefined) {
    if (!isTimeZone(time.timezone)) problems.push(`time.timezone: "${time.timezone}" is not an IANA time zone`);
    if (!TIME.test(time.start)) problems.push('time.start: use HH:MM');
    if (!TIME.test(time.end)) problems.push('time.end: use HH:MM');
    if (TIME.test(time.start) && TIME.test(time.end) && time.start === time.end) problems.push('time: start and end are equal');
    for (const day of time.days ?? []) if (!Number.isInteger(day) || day < 1 || day > 7) problems.push(`time.days: ${day} is not 1 (Monday) … 7 (Sunday)`);
  }
  return problems;
}

/**
 * Local weekday and minute of day in a zone. Intl formatting costs microseconds, so the answer is
 * kept for the rest of the minute it was computed in.
 */
function localClock(timezone: string): (now: Date) => { day: number; minute: number } {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  let cachedMinute = Number.NaN;
  let cached = { day: 0, minute: 0 };
  return (now) => {
    const epochMinute = Math.floor(now.getTime() / 60_000);
    if (epochMinute !== cachedMinute) {
      const parts = format.formatToParts(now);
      const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
      cached = { day: WEEKDAYS[part('weekday')] ?? 0, minute: Number(part('hour')) * 60 + Number(part('minute')) };
      cachedMinute = epochMinute;
    }
    return cached;
  };
}

/** Compiles conditions into one check; undefined when there are none. */
export function compileConditions(conditions: Conditions | undefined): CompiledConditions | undefined {
  if (conditions === undefined) return undefined;
  const ipAllowed = conditions.ip === undefined ? undefined : cidrMatcher(conditions.ip);
  const mfa = conditions.mfa === true;
  const time = conditions.time;
  let inWindow: ((now: Date) => boolean) | undefined;
  if (time !== undefined) {
    const clock = localClock(time.timezone);
    const days = new Set(time.days ?? [1, 2, 3, 4, 5, 6, 7]);
    const start = minutesOf(time.start);
    const end = minutesOf(time.end);
    inWindow = (now) => {
      const local = clock(now);
      // A window may wrap midnight (22:00–06:00); the day is the day the window started.
      if (start < end) return days.has(local.day) && local.minute >= start && local.minute < end;
      if (local.minute >= start) return days.has(local.day);
      return local.minute < end && days.has(local.day === 1 ? 7 : local.day - 1);
    };
  }
  if (ipAllowed === undefined && !mfa && inWindow === undefined) return undefined;
  return {
    check: (facts) => {
      if (ipAllowed !== undefined && !ipAllowed(facts.ip)) return 'ip_not_allowed';
      if (mfa && !facts.mfa) return 'mfa_required';
      if (inWindow !== undefined && !inWindow(facts.now)) return 'outside_time_window';
      return undefined;
    },
  };
}
