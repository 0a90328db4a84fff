/**
 * Deadline arithmetic: add hours or business days to the instant a clock starts. Pure functions;
 * the caller passes every input (no clock, no globals), so the result is reproducible in tests and
 * on every node.
 */

/** Which days do not count as business days. */
export interface BusinessCalendar {
  /** Days of the week that are not business days, 0 = Sunday … 6 = Saturday (UTC). */
  readonly weekendDays: readonly number[];
  /** Holidays as UTC calendar dates, `YYYY-MM-DD`. */
  readonly holidays: readonly string[];
  /** An IANA time zone the days (and hours) are read in; absent: UTC. */
  readonly timeZone?: string | undefined;
  /** The working day's hours in minutes after local midnight (`addBusinessHours`); absent: all day. */
  readonly workingHours?: { readonly startMinute: number; readonly endMinute: number } | undefined;
}

/** Saturday and Sunday off, no holidays. */
export const DEFAULT_CALENDAR: BusinessCalendar = Object.freeze({ weekendDays: Object.freeze([0, 6]), holidays: Object.freeze([]) });

import { addBusinessHours, localDay } from './business-hours.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** `start` plus `hours` hours of elapsed time (calendar time: nights and weekends count). */
export function addHours(start: Date, hours: number): Date {
  if (!Number.isFinite(hours) || hours < 0) throw new RangeError('hours must be a finite, non-negative number');
  return new Date(start.getTime() + hours * HOUR_MS);
}

/** Whether the UTC calendar day holding `instant` is a business day in `calendar`. */
export function isBusinessDay(instant: Date, calendar: BusinessCalendar = DEFAULT_CALENDAR): boolean {
  const day = localDay(instant, calendar.timeZone);
  if (calendar.weekendDays.includes(day.weekday)) return false;
  return !calendar.holidays.includes(day.date);
}

/**
 * `start` plus `days` business days: each step moves one calendar day forward and counts only if
 * that day is a business day, keeping the time of day. A start on a non-business day therefore
 * counts from the next business day ("5 business days" from Saturday 10:00 is the following
 * Friday 10:00). Zero days returns `start` unchanged.
 */
export function addBusinessDays(start: Date, days: number, calendar: BusinessCalendar = DEFAULT_CALENDAR): Date {
  if (!Number.isInteger(days) || days < 0) throw new RangeError('days must be a non-negative integer');
  if (calendar.weekendDays.length >= 7) throw new RangeError('a calendar needs at least one business day');
  let at = start.getTime();
  let left = days;
  // Bounded: with at least one business day a week and a finite holiday list this terminates.
  let guard = days * 7 + calendar.holidays.length + 14;
  while (left > 0) {
    at += DAY_MS;
    if (isBusinessDay(new Date(at), calendar)) left -= 1;
    if (--guard < 0) throw new RangeError('calendar has too few business days');
  }
  return new Date(at);
}

/** A clock's length: elapsed hours, business days, or working hours on a calendar. */
export type Duration = { readonly hours: number } | { readonly businessDays: number } | { readonly businessHours: number };

/** The instant `duration` after `start`. */
export function addDuration(start: Date, duration: Duration, calendar: BusinessCalendar = DEFAULT_CALENDAR): Date {
  if ('hours' in duration) return addHours(start, duration.hours);
  return 'businessDays' in duration ? addBusinessDays(start, duration.businessDays, calendar) : addBusinessHours(start, duration.businessHours, calendar);
}
