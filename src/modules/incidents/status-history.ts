import type { ComponentStatus } from './incidents-tables.ts';

/** One UTC day of a component's history: the worst status it had that day, or null before it existed. */
export interface DayStatus {
  readonly day: string;
  readonly status: ComponentStatus | null;
}

/** Worst last: a day shows the worst status the component had at any time that day. */
const WORST: readonly ComponentStatus[] = ['operational', 'maintenance', 'degraded', 'partial_outage', 'major_outage'];
const DAY_MS = 86_400_000;

/**
 * The last `days` UTC days (oldest first, today last) of a component, from its recorded status
 * changes (`changes` in time order; the newest before the window, if any, tells the status the
 * window opened with). Pure.
 */
export function componentHistory(changes: readonly { readonly status: ComponentStatus; readonly changed_at: Date }[], createdAt: Date, now: Date, days: number): DayStatus[] {
  const sorted = [...changes].sort((a, b) => a.changed_at.getTime() - b.changed_at.getTime());
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const out: DayStatus[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const start = today - i * DAY_MS;
    const end = Math.min(start + DAY_MS, now.getTime() + 1);
    const day = new Date(start).toISOString().slice(0, 10);
    if (end <= createdAt.getTime()) {
      out.push({ day, status: null });
      continue;
    }
    let atStart: ComponentStatus | null = null;
    let worst = -1;
    for (const c of sorted) {
      const t = c.changed_at.getTime();
      if (t <= start) atStart = c.status;
      else if (t < end) worst = Math.max(worst, WORST.indexOf(c.status));
    }
    if (atStart !== null) worst = Math.max(worst, WORST.indexOf(atStart));
    out.push({ day, status: worst < 0 ? null : (WORST[worst] ?? null) });
  }
  return out;
}
