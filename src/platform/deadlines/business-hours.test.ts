import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addBusinessDays, addDuration, isBusinessDay } from './add-time.ts';
import { addBusinessHours, assertTimeZone } from './business-hours.ts';

const NINE_TO_FIVE = { startMinute: 9 * 60, endMinute: 17 * 60 };

describe('working hours in a time zone', () => {
  it('counts only working hours: 4 h from Friday 16:00 (09:00–17:00, UTC) is Monday 12:00', () => {
    const cal = { weekendDays: [0, 6], holidays: [], workingHours: NINE_TO_FIVE };
    assert.equal(addBusinessHours(new Date('2026-12-04T16:00:00Z'), 4, cal).toISOString(), '2026-12-07T12:00:00.000Z');
    // A start before opening counts from the opening; a start on Sunday from Monday 09:00.
    assert.equal(addBusinessHours(new Date('2026-12-07T06:00:00Z'), 1, cal).toISOString(), '2026-12-07T10:00:00.000Z');
    assert.equal(addBusinessHours(new Date('2026-12-06T12:00:00Z'), 8, cal).toISOString(), '2026-12-07T17:00:00.000Z');
    assert.equal(addBusinessHours(new Date('2026-12-06T12:00:00Z'), 0, cal).toISOString(), '2026-12-06T12:00:00.000Z');
  });

  it('skips holidays and reads days and hours in the calendar\'s time zone, across a daylight-saving change', () => {
    const berlin = { weekendDays: [0, 6], holidays: ['2026-12-24', '2026-12-25'], timeZone: 'Europe/Berlin', workingHours: NINE_TO_FIVE };
    // Wednesday 23 December 16:00 Berlin (15:00 UTC), 2 h: 1 h that day, then Thursday and Friday are holidays, Monday 28th 10:00 Berlin.
    assert.equal(addBusinessHours(new Date('2026-12-23T15:00:00Z'), 2, berlin).toISOString(), '2026-12-28T09:00:00.000Z');
    // Friday 27 March 2026 16:00 CET, 2 h: Monday 30 March 10:00 CEST (08:00 UTC): the clocks went forward on Sunday.
    assert.equal(addBusinessHours(new Date('2026-03-27T15:00:00Z'), 2, berlin).toISOString(), '2026-03-30T08:00:00.000Z');
    // 23:30 UTC Sunday is 00:30 Monday in Berlin: a business day there, not in UTC.
    assert.equal(isBusinessDay(new Date('2026-12-06T23:30:00Z'), berlin), true);
    assert.equal(isBusinessDay(new Date('2026-12-06T23:30:00Z'), { weekendDays: [0, 6], holidays: [] }), false);
    assert.throws(() => {
      assertTimeZone('Mars/Olympus');
    }, RangeError);
  });

  it('is one calendar: business days and durations keep working as before, and a calendar without working days is refused', () => {
    assert.equal(addBusinessDays(new Date('2026-12-05T10:00:00Z'), 5).toISOString(), '2026-12-11T10:00:00.000Z');
    assert.equal(addDuration(new Date('2026-12-04T16:00:00Z'), { businessHours: 4 }, { weekendDays: [0, 6], holidays: [], workingHours: NINE_TO_FIVE }).toISOString(), '2026-12-07T12:00:00.000Z');
    assert.throws(() => addBusinessHours(new Date(), 1, { weekendDays: [0, 1, 2, 3, 4, 5, 6], holidays: [] }), RangeError);
  });
});
