import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addBusinessDays, addDuration, addHours, clockState, isBusinessDay } from './index.ts';

const at = (iso: string): Date => new Date(iso);

test('adds elapsed hours across a weekend without skipping it', () => {
  assert.equal(addHours(at('2026-12-04T23:30:00Z'), 72).toISOString(), '2026-12-07T23:30:00.000Z');
  assert.equal(addHours(at('2026-12-04T10:00:00Z'), 0.5).toISOString(), '2026-12-04T10:30:00.000Z');
});

test('refuses negative or non-finite hours and fractional or negative business days', () => {
  assert.throws(() => addHours(at('2026-12-04T10:00:00Z'), -1), RangeError);
  assert.throws(() => addHours(at('2026-12-04T10:00:00Z'), Number.NaN), RangeError);
  assert.throws(() => addBusinessDays(at('2026-12-04T10:00:00Z'), 1.5), RangeError);
  assert.throws(() => addBusinessDays(at('2026-12-04T10:00:00Z'), -1), RangeError);
});

test('adds business days skipping Saturday and Sunday and keeping the time of day', () => {
  // Friday 2026-12-04 + 1 business day = Monday 2026-12-07.
  assert.equal(addBusinessDays(at('2026-12-04T16:00:00Z'), 1).toISOString(), '2026-12-07T16:00:00.000Z');
  // Monday + 5 business days = next Monday.
  assert.equal(addBusinessDays(at('2026-12-07T09:00:00Z'), 5).toISOString(), '2026-12-14T09:00:00.000Z');
  assert.equal(addBusinessDays(at('2026-12-07T09:00:00Z'), 0).toISOString(), '2026-12-07T09:00:00.000Z');
});

test('a start on a weekend counts from the next business day', () => {
  // Saturday 10:00 + 1 = Monday 10:00; + 5 = Friday 10:00.
  assert.equal(addBusinessDays(at('2026-12-05T10:00:00Z'), 1).toISOString(), '2026-12-07T10:00:00.000Z');
  assert.equal(addBusinessDays(at('2026-12-05T10:00:00Z'), 5).toISOString(), '2026-12-11T10:00:00.000Z');
  // Sunday 23:59 + 1 = Monday 23:59.
  assert.equal(addBusinessDays(at('2026-12-06T23:59:00Z'), 1).toISOString(), '2026-12-07T23:59:00.000Z');
});

test('skips configured holidays, including a holiday adjoining a weekend', () => {
  const calendar = { weekendDays: [0, 6], holidays: ['2026-12-24', '2026-12-25', '2026-12-28'] };
  // Wednesday 23rd + 1 skips Thu 24, Fri 25, weekend, Mon 28 → Tuesday 29th.
  assert.equal(addBusinessDays(at('2026-12-23T12:00:00Z'), 1, calendar).toISOString(), '2026-12-29T12:00:00.000Z');
  assert.equal(isBusinessDay(at('2026-12-25T00:00:00Z'), calendar), false);
  assert.equal(isBusinessDay(at('2026-12-29T00:00:00Z'), calendar), true);
});

test('honours a different weekend (Friday and Saturday)', () => {
  const calendar = { weekendDays: [5, 6], holidays: [] };
  // Thursday 2026-12-03 + 1 = Sunday 2026-12-06.
  assert.equal(addBusinessDays(at('2026-12-03T08:00:00Z'), 1, calendar).toISOString(), '2026-12-06T08:00:00.000Z');
});

test('refuses a calendar with no business day instead of looping', () => {
  assert.throws(() => addBusinessDays(at('2026-12-03T08:00:00Z'), 1, { weekendDays: [0, 1, 2, 3, 4, 5, 6], holidays: [] }), RangeError);
});

test('addDuration dispatches on hours or business days', () => {
  assert.equal(addDuration(at('2026-12-04T10:00:00Z'), { hours: 24 }).toISOString(), '2026-12-05T10:00:00.000Z');
  assert.equal(addDuration(at('2026-12-04T10:00:00Z'), { businessDays: 1 }).toISOString(), '2026-12-07T10:00:00.000Z');
});

test('a clock is pending, then warning within the lead time, due at its instant, then overdue', () => {
  const clock = { dueAt: at('2026-12-04T12:00:00Z'), warnBeforeMs: 30 * 60_000 };
  assert.deepEqual(clockState(clock, at('2026-12-04T11:00:00Z')), { state: 'pending', dueAt: clock.dueAt, msLeft: 3_600_000 });
  assert.equal(clockState(clock, at('2026-12-04T11:29:59.999Z')).state, 'pending');
  assert.equal(clockState(clock, at('2026-12-04T11:30:00Z')).state, 'warning');
  assert.deepEqual(clockState(clock, at('2026-12-04T12:00:00Z')), { state: 'warning', dueAt: clock.dueAt, msLeft: 0 });
  assert.deepEqual(clockState(clock, at('2026-12-04T12:00:00.001Z')), { state: 'overdue', dueAt: clock.dueAt, msOverdue: 1 });
});

test('a clock without a lead time never warns', () => {
  assert.equal(clockState({ dueAt: at('2026-12-04T12:00:00Z'), warnBeforeMs: 0 }, at('2026-12-04T11:59:59Z')).state, 'pending');
});

test('a met clock stays met and records whether it was late', () => {
  const onTime = clockState({ dueAt: at('2026-12-04T12:00:00Z'), warnBeforeMs: 0, met: { at: at('2026-12-04T11:00:00Z'), by: 'update:1' } }, at('2026-12-09T00:00:00Z'));
  assert.deepEqual(onTime, { state: 'met', dueAt: at('2026-12-04T12:00:00Z'), metAt: at('2026-12-04T11:00:00Z'), metBy: 'update:1', late: false });
  const late = clockState({ dueAt: at('2026-12-04T12:00:00Z'), warnBeforeMs: 0, met: { at: at('2026-12-04T13:00:00Z'), by: 'report' } }, at('2026-12-04T13:00:00Z'));
  assert.equal(late.state === 'met' && late.late, true);
});
