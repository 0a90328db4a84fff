// The leader loop's waits on its one long-lived AbortSignal leave nothing behind (issue 15, soak):
// a follower retries the lock every second for as long as the process lives.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { abortableSleep, createDueTracker } from './leader-loop.ts';

it('a wait that runs out removes its abort listener, so a follower retrying the lock keeps none', async () => {
  const controller = new AbortController();
  for (let i = 0; i < 200; i++) await abortableSleep(1, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

it('an abort ends a wait at once and removes its listener', async () => {
  const controller = new AbortController();
  const waiting = abortableSleep(3_600_000, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  controller.abort();
  await waiting;
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

it('a wait on a signal already aborted ends at once and adds no listener', async () => {
  const controller = new AbortController();
  controller.abort();
  await abortableSleep(3_600_000, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

describe('createDueTracker: when a sleeping job wakes', () => {
  it('waits until the earliest due time it knows, at least the minimum, and without bound when nothing is queued', () => {
    let now = 1_000_000;
    const due = createDueTracker(() => now, 250);
    assert.equal(due.idleDelay(), Number.POSITIVE_INFINITY);
    due.note(now + 5_000);
    due.note(now + 9_000); // later: ignored
    assert.equal(due.idleDelay(), 5_000);
    due.note(Number.NaN); // a malformed feed key: ignored
    assert.equal(due.idleDelay(), 5_000);
    now += 4_900;
    assert.equal(due.idleDelay(), 250); // not a spin on a row another node holds
    due.set(undefined); // a pass found nothing queued
    assert.equal(due.idleDelay(), Number.POSITIVE_INFINITY);
    due.set(now + 60_000);
    due.note(now + 1_000);
    assert.equal(due.idleDelay(), 1_000);
  });
});
