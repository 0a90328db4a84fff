/** A deadline clock's state at an instant: pending, warning, overdue or met. Pure. */

/** What the caller knows about one clock. */
export interface ClockInput {
  /** When the clock is due. */
  readonly dueAt: Date;
  /** How long before `dueAt` the clock warns, in milliseconds (0: no warning). */
  readonly warnBeforeMs: number;
  /** When it was met, and by what (a notice id, a report reference); absent while open. */
  readonly met?: { readonly at: Date; readonly by: string } | undefined;
}

export type ClockState =
  | { readonly state: 'pending'; readonly dueAt: Date; readonly msLeft: number }
  | { readonly state: 'warning'; readonly dueAt: Date; readonly msLeft: number }
  | { readonly state: 'overdue'; readonly dueAt: Date; readonly msOverdue: number }
  | { readonly state: 'met'; readonly dueAt: Date; readonly metAt: Date; readonly metBy: string; readonly late: boolean };

/**
 * The state of `clock` at `now`. A clock is due *at* `dueAt`: at exactly `dueAt` it is still
 * pending/warning with zero left, one millisecond later overdue. A met clock stays met, and records
 * whether it was met late.
 */
export function clockState(clock: ClockInput, now: Date): ClockState {
  const due = clock.dueAt.getTime();
  if (clock.met) {
    return { state: 'met', dueAt: clock.dueAt, metAt: clock.met.at, metBy: clock.met.by, late: clock.met.at.getTime() > due };
  }
  const left = due - now.getTime();
  if (left < 0) return { state: 'overdue', dueAt: clock.dueAt, msOverdue: -left };
  if (clock.warnBeforeMs > 0 && left <= clock.warnBeforeMs) return { state: 'warning', dueAt: clock.dueAt, msLeft: left };
  return { state: 'pending', dueAt: clock.dueAt, msLeft: left };
}
