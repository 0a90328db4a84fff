import { addBusinessDays, addHours, clockState, type ClockState } from '../../platform/deadlines/index.ts';
import type { Severity } from './disclosure-tables.ts';

/** Days to fix from assessment, by severity (VDP-3: critical within 90 days at the latest). */
export const FIX_DAYS: Readonly<Record<Exclude<Severity, 'none'>, number>> = Object.freeze({ critical: 30, high: 60, medium: 90, low: 180 });
export const ACKNOWLEDGE_HOURS = 24;
export const ASSESS_BUSINESS_DAYS = 5;
const DAY_MS = 86_400_000;

/** The clocks that start when a report is received (its reporter's address verified). */
export function receivedClocks(receivedAt: Date): { acknowledgeBy: Date; assessBy: Date } {
  return { acknowledgeBy: addHours(receivedAt, ACKNOWLEDGE_HOURS), assessBy: addBusinessDays(receivedAt, ASSESS_BUSINESS_DAYS) };
}

/** The fix deadline once a report is assessed; none for severity `none`. */
export function fixBy(assessedAt: Date, severity: Severity): Date | null {
  return severity === 'none' ? null : new Date(assessedAt.getTime() + FIX_DAYS[severity] * DAY_MS);
}

/** The state of one of a report's clocks at `now`, for the API. */
export function clockView(dueAt: Date | null, metAt: Date | null, now: Date): { due_at: string; state: ClockState['state']; late: boolean } | null {
  if (dueAt === null) return null;
  const state = clockState({ dueAt, warnBeforeMs: 0, met: metAt === null ? undefined : { at: metAt, by: 'report' } }, now);
  return { due_at: dueAt.toISOString(), state: state.state, late: state.state === 'met' ? state.late : state.state === 'overdue' };
}
