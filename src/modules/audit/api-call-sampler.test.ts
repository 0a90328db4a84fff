import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { apiCallSampler } from './api-call-sampler.ts';

describe('api.request sampling (PARAPET_AUDIT_API_SAMPLING)', () => {
  it('records every call at 1 and none at 0, without reading randomness', () => {
    let reads = 0;
    const random = (n: number) => {
      reads++;
      return randomBytes(n);
    };
    const all = apiCallSampler(1, random);
    const none = apiCallSampler(0, random);
    for (let i = 0; i < 1000; i++) {
      assert.equal(all(), true);
      assert.equal(none(), false);
    }
    assert.equal(reads, 0);
  });

  it('records about the given share, reading the random source once per 1,024 decisions', () => {
    let reads = 0;
    const sampled = apiCallSampler(0.25, (n) => {
      reads++;
      return randomBytes(n);
    });
    let recorded = 0;
    for (let i = 0; i < 102_400; i++) if (sampled()) recorded++;
    assert.equal(reads, 100);
    // 102,400 draws at p = 0.25: the standard deviation is ~139, so ±1,000 is over 7 sigma.
    assert.ok(Math.abs(recorded - 25_600) < 1000, `recorded ${recorded}`);
  });

  it('decides from the injected source, so a test can make it deterministic', () => {
    const below = apiCallSampler(0.5, (n) => Buffer.alloc(n, 0x00));
    const above = apiCallSampler(0.5, (n) => Buffer.alloc(n, 0xff));
    assert.equal(below(), true);
    assert.equal(above(), false);
  });
});
