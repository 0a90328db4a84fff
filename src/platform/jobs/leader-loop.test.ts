// The leader loop's waits on its one long-lived AbortSignal leave nothing behind (issue 15, soak):
// a follower retries the lock every second for as long as the process lives.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { it } from 'node:test';
import { abortableSleep } from './leader-loop.ts';

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
