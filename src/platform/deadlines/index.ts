/** Deadline machinery shared by incidents and vulnerability disclosure. */
export { addBusinessDays, addDuration, addHours, isBusinessDay, DEFAULT_CALENDAR } from './add-time.ts';
export type { BusinessCalendar, Duration } from './add-time.ts';
export { addBusinessHours, assertTimeZone } from './business-hours.ts';
export { clockState } from './clock-state.ts';
export type { ClockInput, ClockState } from './clock-state.ts';
