import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { retryDelayMs } from './retry-delay.ts';

const fixed = (byte: number) => () => Buffer.alloc(4, byte);

describe('retry delay', () => {
  it('AUD-5: doubles from 1 s with jitter in the upper half of each step, capped at 5 minutes', () => {
    assert.equal(retryDelayMs(1, fixed(0)), 500);
    assert.equal(retryDelayMs(1, fixed(0xff)), 1000);
    assert.equal(retryDelayMs(4, fixed(0)), 4000);
    assert.equal(retryDelayMs(30, fixed(0xff)), 300_000);
    assert.equal(retryDelayMs(1000, fixed(0)), 150_000);
    for (let failures = 1; failures < 40; failures++) {
      const delay = retryDelayMs(failures, randomBytes);
      const step = Math.min(300_000, 1000 * 2 ** (failures - 1));
      assert.ok(delay >= step / 2 && delay <= step, `${failures}: ${delay}`);
    }
  });
});
