import type { Tx } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { uuidv7, type Random } from '../../platform/crypto/random.ts';
import type { ClockEvent, ClockName, DisclosureReportsTable } from './disclosure-tables.ts';

type Times = Pick<DisclosureReportsTable, 'acknowledge_by' | 'acknowledged_at' | 'assess_by' | 'assessed_at' | 'fix_by' | 'fixed_at' | 'status'>;

export interface ClockHistoryEntry {
  readonly clock: ClockName;
  readonly event: ClockEvent;
  readonly due_at: string | null;
  readonly at: string;
}

/** Appends one event to a report's clock history (the table is append-only for the application). */
export async function recordClockEvent(tx: Tx, deps: { clock: Clock; random: Random }, reportId: string, clock: ClockName, event: ClockEvent, dueAt: Date | null, at: Date): Promise<void> {
  await tx.insertInto('disclosure_clock_events').values({ id: uuidv7(deps.clock, deps.random), report_id: reportId, clock, event, due_at: dueAt, at, claim: null }).execute();
}

/**
 * The history events a change of a report's clocks makes: a clock starts when it first gets a
 * deadline, moves when its deadline changes, is met when its step is reached, and stops when the
 * report is rejected with the clock still open.
 */
export function clockChanges(before: Times, after: Times): { clock: ClockName; event: ClockEvent; dueAt: Date | null }[] {
  const out: { clock: ClockName; event: ClockEvent; dueAt: Date | null }[] = [];
  const pairs: [ClockName, Date | null, Date | null, Date | null, Date | null][] = [
    ['acknowledge', before.acknowledge_by, after.acknowledge_by, before.acknowledged_at, after.acknowledged_at],
    ['assess', before.assess_by, after.assess_by, before.assessed_at, after.assessed_at],
    ['fix', before.fix_by, after.fix_by, before.fixed_at, after.fixed_at],
  ];
  for (const [clock, dueBefore, dueAfter, metBefore, metAfter] of pairs) {
    if (dueBefore === null && dueAfter !== null) out.push({ clock, event: 'started', dueAt: dueAfter });
    else if (dueBefore !== null && dueAfter !== null && dueBefore.getTime() !== dueAfter.getTime()) out.push({ clock, event: 'moved', dueAt: dueAfter });
    if (metBefore === null && metAfter !== null) out.push({ clock, event: 'met', dueAt: dueAfter });
    else if (dueAfter !== null && metAfter === null && before.status !== 'rejected' && after.status === 'rejected') out.push({ clock, event: 'stopped', dueAt: dueAfter });
  }
  return out;
}

/** A report's clock history, oldest first. */
export async function clockHistory(tx: Tx, reportId: string): Promise<ClockHistoryEntry[]> {
  const rows = await tx.selectFrom('disclosure_clock_events').select(['clock', 'event', 'due_at', 'at']).where('report_id', '=', reportId).orderBy('seq', 'asc').limit(500).execute();
  return rows.map((r) => ({ clock: r.clock, event: r.event, due_at: r.due_at === null ? null : r.due_at.toISOString(), at: r.at.toISOString() }));
}
