import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLimiter, createPasswordHasher } from './password-hasher.ts';

const LIGHT = { memoryCost: 1024, timeCost: 1, parallelism: 1, outputLen: 32 } as const;

describe('password hashing concurrency', () => {
  it('runs at most the limit of tasks at once and the rest in arrival order', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 5 }, (_, index) =>
      limit(async () => {
        started.push(index);
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return index;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1]);
    while (releases.length > 0 || started.length < 5) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
  });

  it('frees its slot when a task fails', async () => {
    const limit = createLimiter(1);
    await assert.rejects(limit(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await limit(() => Promise.resolve('next')), 'next');
  });

  it('refuses a limit below one', () => {
    assert.throws(() => createLimiter(0), RangeError);
  });

  it('verifies through the limiter: right and wrong passwords, and a malformed hash is false', async () => {
    const hasher = await createPasswordHasher(LIGHT, { concurrency: 1 });
    const stored = await hasher.hash('a perfectly fine passphrase');
    const results = await Promise.all([hasher.verify(stored, 'a perfectly fine passphrase'), hasher.verify(stored, 'wrong'), hasher.verify('not a hash', 'x')]);
    assert.deepEqual(results, [true, false, false]);
  });
});
