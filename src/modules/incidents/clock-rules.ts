import { addDuration, clockState, type ClockState, type Duration } from '../../platform/deadlines/index.ts';
import type { ClockName } from './incidents-tables.ts';
import type { BreachRegime, SeverityLevel } from './options.ts';

/**
 * Customer-notice clocks per severity (IR-2): the first notice after detection, then the cadence
 * of updates while the incident is open. Configured by `PARAPET_INCIDENT_SEVERITIES`; the default
 * (seed 000) is critical 1 h / 2 h, high 4 h / 6 h, medium 24 h / 24 h, low none.
 */
export type SeverityRules = ReadonlyMap<string, SeverityLevel['notice']>;

export function severityRules(levels: readonly SeverityLevel[]): SeverityRules {
  return new Map(levels.map((l) => [l.name, l.notice]));
}

/**
 * Regulatory clocks started when an incident is marked a personal-data breach (IR-3), counted from
 * the time of awareness, per configured regime.
 * - GDPR Art. 33(1): notify the supervisory authority "without undue delay and, where feasible, not
 *   later than 72 hours after having become aware of it".
 * - NIS2 Art. 23(4)(a) early warning within 24 hours; (b) incident notification within 72 hours;
 *   (d) final report "not later than one month after the submission of the incident notification"
 *   — counted here from awareness (30 days), which is never later than the legal deadline.
 * - India, DPDP Rules 2025 r. 7(2)(b): the detailed report to the Data Protection Board within 72
 *   hours of becoming aware (the intimation of r. 7(1) is "without delay").
 * - India, CERT-In Directions of 28 April 2022 under s. 70B(6) IT Act, direction (ii): report the
 *   incident within 6 hours of noticing it.
 */
export const BREACH_CLOCKS: Readonly<Record<BreachRegime, readonly { readonly clock: ClockName; readonly duration: Duration }[]>> = Object.freeze({
  gdpr: [{ clock: 'gdpr_art33', duration: { hours: 72 } }],
  nis2: [
    { clock: 'nis2_early_warning', duration: { hours: 24 } },
    { clock: 'nis2_notification', duration: { hours: 72 } },
    { clock: 'nis2_final_report', duration: { hours: 30 * 24 } },
  ],
  dpdp: [{ clock: 'dpdp_report', duration: { hours: 72 } }],
  cert_in: [{ clock: 'cert_in', duration: { hours: 6 } }],
});

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
  dpdp_report: 'India DPDP Rules 2025 r. 7(2)(b): detailed report to the Data Protection Board within 72 hours of awareness',
  cert_in: 'India CERT-In Directions (28 April 2022) under IT Act s. 70B(6): report within 6 hours of noticing',
  customer_breach_notice: 'Customer contracts (DPA): affected customers told within the configured window (PARAPET_INCIDENT_CUSTOMER_BREACH_HOURS)',
  post_incident_report: 'Post-incident review published within 14 days of resolution',
  status_page_update: 'Status page policy: a public update within 15 minutes of a customer-visible change (title, severity, phase, affected components)',
});

/** A customer-visible change is explained on the status page within 15 minutes (IR-4). */
export const STATUS_PAGE_UPDATE_MS = 15 * 60_000;

/** A clock warns when a quarter of its length is left, at most 24 hours before it is due. */
export function warnLeadMs(startedAt: Date, dueAt: Date): number {
  return Math.min((dueAt.getTime() - startedAt.getTime()) / 4, 24 * 3_600_000);
}

/** When a clock from `startedAt` to `dueAt` starts to warn. */
export function warnAt(startedAt: Date, dueAt: Date): Date {
  return new Date(dueAt.getTime() - warnLeadMs(startedAt, dueAt));
}

export function dueAfter(start: Date, duration: Duration): Date {
  return addDuration(start, duration);
}

/** The state of a stored clock at `now`. */
export function stateOf(row: { readonly started_at: Date; readonly due_at: Date; readonly met_at: Date | null; readonly met_by: string | null }, now: Date): ClockState {
  return clockState({ dueAt: row.due_at, warnBeforeMs: warnLeadMs(row.started_at, row.due_at), met: row.met_at === null ? undefined : { at: row.met_at, by: row.met_by ?? '' } }, now);
}
