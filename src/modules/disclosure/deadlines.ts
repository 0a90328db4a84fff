import { addBusinessDays, addHours, clockState, type ClockState } from '../../platform/deadlines/index.ts';
import type { Severity } from './disclosure-tables.ts';
import { calendarOf, DEFAULT_SETTINGS, type Settings } from './settings.ts';

export const ACKNOWLEDGE_HOURS = 24;
export const ASSESS_BUSINESS_DAYS = 5;
const DAY_MS = 86_400_000;

/** The clocks that start when a report is received (its reporter's address verified), on the settings' business calendar. */
export function receivedClocks(receivedAt: Date, settings: Settings = DEFAULT_SETTINGS): { acknowledgeBy: Date; assessBy: Date } {
  return { acknowledgeBy: addHours(receivedAt, ACKNOWLEDGE_HOURS), assessBy: addBusinessDays(receivedAt, ASSESS_BUSINESS_DAYS, calendarOf(settings)) };
}

/** The fix deadline once a report is assessed, by the settings' fix days; none for severity `none`. */
export function fixBy(assessedAt: Date, severity: Severity, settings: Settings = DEFAULT_SETTINGS): Date | null {
  return severity === 'none' ? null : new Date(assessedAt.getTime() + settings.fix_days[severity] * DAY_MS);
}

/** The state of one of a report's clocks at `now`, for the API. */
export function clockView(dueAt: Date | null, metAt: Date | null, now: Date): { due_at: string; state: ClockState['state']; late: boolean } | null {
  if (dueAt === null) return null;
  const state = clockState({ dueAt, warnBeforeMs: 0, met: metAt === null ? undefined : { at: metAt, by: 'report' } }, now);
  return { due_at: dueAt.toISOString(), state: state.state, late: state.state === 'met' ? state.late : state.state === 'overdue' };
}
