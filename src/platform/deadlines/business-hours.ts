/**
 * Working hours in a time zone: the business calendar (`add-time.ts`) read in local time, and
 * `addBusinessHours`, which counts only the hours inside the working day. Pure: the caller passes
 * every input, so a deadline is the same on every node.
 */
import type { BusinessCalendar } from './add-time.ts';

/** Local calendar fields of an instant in a time zone. */
interface LocalDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** YYYY-MM-DD */
  readonly date: string;
  /** 0 = Sunday … 6 = Saturday */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError unless `timeZone` is an IANA time zone this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** Milliseconds the wall clock in `timeZone` is ahead of UTC at `t`. */
function offsetMs(t: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts['year'] ?? 1970, (parts['month'] ?? 1) - 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0, parts['second'] ?? 0);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The local calendar day holding `t` in `timeZone` (UTC when none). */
export function localDay(t: Date, timeZone: string | undefined): LocalDay {
  const shifted = new Date(t.getTime() + (timeZone === undefined ? 0 : offsetMs(t.getTime(), timeZone)));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(), date: shifted.toISOString().slice(0, 10), weekday: shifted.getUTCDay() };
}

/**
 * The instant a local wall time (day overflow allowed: day 32 is the next month) happens in
 * `timeZone`. In a gap (spring forward) it lands after the gap; in an overlap, on the first pass.
 */
export function zonedTime(year: number, month: number, day: number, minute: number, timeZone: string | undefined): number {
  const wall = Date.UTC(year, month - 1, day, 0, minute);
  if (timeZone === undefined) return wall;
  const first = wall - offsetMs(wall, timeZone);
  return wall - offsetMs(first, timeZone);
}

/** Whether `day` is a working day of `calendar`: not a weekend day, not a holiday (local dates). */
function isWorkingDay(day: LocalDay, calendar: BusinessCalendar): boolean {
  return !calendar.weekendDays.includes(day.weekday) && !calendar.holidays.includes(day.date);
}

/**
 * `start` plus `hours` working hours: only time inside the working hours of working days counts,
 * in the calendar's time zone. A start outside them counts from the next opening ("4 working hours"
 * from Friday 16:00 with 09:00–17:00 is Monday 12:00). Zero hours returns `start` unchanged.
 */
export function addBusinessHours(start: Date, hours: number, calendar: BusinessCalendar): Date {
  if (!Number.isFinite(hours) || hours < 0) throw new RangeError('hours must be a finite, non-negative number');
  if (calendar.weekendDays.length >= 7) throw new RangeError('a calendar needs at least one business day');
  const { startMinute, endMinute } = calendar.workingHours ?? { startMinute: 0, endMinute: 1440 };
  if (!(startMinute >= 0 && startMinute < endMinute && endMinute <= 1440)) throw new RangeError('working hours must start before they end, within one day');
  const tz = calendar.timeZone;
  let left = hours * 3_600_000;
  let t = start.getTime();
  if (left === 0) return start;
  // Bounded: each pass moves to the next local day; a year of holidays plus the hours asked for is enough.
  let guard = Math.ceil(hours / ((endMinute - startMinute) / 60)) * 7 + calendar.holidays.length + 14;
  for (;;) {
    const day = localDay(new Date(t), tz);
    const open = zonedTime(day.year, day.month, day.day, startMinute, tz);
    const close = zonedTime(day.year, day.month, day.day, endMinute, tz);
    if (isWorkingDay(day, calendar) && t < close) {
      const from = Math.max(t, open);
      if (from + left <= close) return new Date(from + left);
      left -= close - from;
    }
    t = zonedTime(day.year, day.month, day.day + 1, 0, tz);
    if (--guard < 0) throw new RangeError('calendar has too few business hours');
  }
}
