import { addDuration, clockState, type ClockState, type Duration } from '../../platform/deadlines/index.ts';
import type { ClockName, Severity } from './incidents-tables.ts';

/**
 * Customer-notice clocks per severity (IR-2; defaults from seed 000): the first notice after
 * detection, then the cadence of updates while the incident is open. Low has no clock.
 */
export const NOTICE_RULES: Readonly<Record<Severity, { readonly firstNoticeHours: number; readonly updateEveryHours: number } | undefined>> = Object.freeze({
  critical: { firstNoticeHours: 1, updateEveryHours: 2 },
  high: { firstNoticeHours: 4, updateEveryHours: 6 },
  medium: { firstNoticeHours: 24, updateEveryHours: 24 },
  low: undefined,
});

/**
 * Regulatory clocks started when an incident is marked a personal-data breach (IR-3), counted from
 * the time of awareness.
 * - GDPR Art. 33(1): notify the supervisory authority "without undue delay and, where feasible, not
 *   later than 72 hours after having become aware of it".
 * - NIS2 Art. 23(4)(a) early warning within 24 hours; (b) incident notification within 72 hours;
 *   (d) final report "not later than one month after the submission of the incident notification"
 *   — counted here from awareness (30 days), which is never later than the legal deadline.
 */
export const BREACH_CLOCKS: readonly { readonly clock: ClockName; readonly duration: Duration }[] = Object.freeze([
  { clock: 'nis2_early_warning', duration: { hours: 24 } },
  { clock: 'gdpr_art33', duration: { hours: 72 } },
  { clock: 'nis2_notification', duration: { hours: 72 } },
  { clock: 'nis2_final_report', duration: { hours: 30 * 24 } },
]);

/** The post-incident report is due 14 days after the incident is resolved (IR-2). */
export const POST_INCIDENT_REPORT: Duration = Object.freeze({ hours: 14 * 24 });

/** Where a clock's legal or policy source is, shown in the API beside each clock. */
export const CLOCK_SOURCES: Readonly<Record<ClockName, string>> = Object.freeze({
  first_notice: 'Customer notice policy (first notice per severity)',
  update: 'Customer notice policy (update cadence per severity)',
  gdpr_art33: 'GDPR Art. 33(1): supervisory authority within 72 hours of awareness',
  nis2_early_warning: 'NIS2 Art. 23(4)(a): early warning within 24 hours',
  nis2_notification: 'NIS2 Art. 23(4)(b): incident notification within 72 hours',
  nis2_final_report: 'NIS2 Art. 23(4)(d): final report within one month',
  post_incident_report: 'Post-incident review published within 14 days of resolution',
});

/** A clock warns when a quarter of its length is left, at most 24 hours before it is due. */
export function warnLeadMs(startedAt: Date, dueAt: Date): number {
  return Math.min((dueAt.getTime() - startedAt.getTime()) / 4, 24 * 3_600_000);
}

export function dueAfter(start: Date, duration: Duration): Date {
  return addDuration(start, duration);
}

/** The state of a stored clock at `now`. */
export function stateOf(row: { readonly started_at: Date; readonly due_at: Date; readonly met_at: Date | null; readonly met_by: string | null }, now: Date): ClockState {
  return clockState({ dueAt: row.due_at, warnBeforeMs: warnLeadMs(row.started_at, row.due_at), met: row.met_at === null ? undefined : { at: row.met_at, by: row.met_by ?? '' } }, now);
}
