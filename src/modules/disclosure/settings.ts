import { Type, type Static } from '@sinclair/typebox';
import type { BusinessCalendar } from '../../platform/deadlines/index.ts';
import { AppError } from '../../platform/http/errors.ts';

/** VDP-3: a critical report is fixed within 90 days at the latest; no setting may promise less. */
export const MAX_CRITICAL_FIX_DAYS = 90;

const Days = Type.Integer({ minimum: 1, maximum: 365 });

/**
 * The program's settings (`PUT /api/v1/platform/disclosure/settings`): the business calendar of
 * the assessment clock, the fix deadlines by severity, how long before a deadline the reminder
 * goes out, and the publisher named in advisories.
 */
export const SettingsSchema = Type.Object(
  {
    working_days: Type.Array(Type.Integer({ minimum: 0, maximum: 6, description: '0 = Sunday … 6 = Saturday (UTC)' }), { minItems: 1, maxItems: 7, uniqueItems: true }),
    holidays: Type.Array(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD (UTC)' }), { maxItems: 400, uniqueItems: true }),
    fix_days: Type.Object({ critical: Days, high: Days, medium: Days, low: Days }, { additionalProperties: false }),
    reminder_hours: Type.Integer({ minimum: 0, maximum: 720, description: 'A reminder this many hours before a deadline; 0: none' }),
    publisher_name: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  working_days: [1, 2, 3, 4, 5],
  holidays: [],
  fix_days: { critical: 30, high: 60, medium: 90, low: 180 },
  reminder_hours: 24,
  publisher_name: 'Parapet',
});

/** Refuses settings that break a promise of the policy (`invalid_request`, no echo of the input). */
export function checkSettings(settings: Settings): void {
  if (settings.fix_days.critical > MAX_CRITICAL_FIX_DAYS) throw new AppError('invalid_request', { detail: `A critical report must be fixed within ${MAX_CRITICAL_FIX_DAYS} days at the latest.` });
  const f = settings.fix_days;
  if (!(f.critical <= f.high && f.high <= f.medium && f.medium <= f.low)) throw new AppError('invalid_request', { detail: 'A more severe report cannot get more time than a less severe one.' });
  for (const day of settings.holidays) {
    const parsed = new Date(`${day}T00:00:00Z`);
    if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) throw new AppError('invalid_request', { detail: 'A holiday must be a calendar day, YYYY-MM-DD.' });
  }
}

/** The business calendar the settings describe (weekend = the days that are not working days). */
export function calendarOf(settings: Settings): BusinessCalendar {
  return { weekendDays: [0, 1, 2, 3, 4, 5, 6].filter((d) => !settings.working_days.includes(d)), holidays: settings.holidays };
}
