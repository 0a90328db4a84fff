import { describe } from 'node:test';
import { parallelLockoutCases } from '../../../test/support/parallel-lockout.ts';
import { redisSkipReason, TEST_REDIS_URL } from '../../../test/support/redis.ts';

const redisSkip = await redisSkipReason();

describe('parallel attempts against one account, counters in PostgreSQL (issue 14, AUTH-6)', () => {
  parallelLockoutCases();
});

describe('parallel attempts against one account, counters in Redis (issue 14, AUTH-6)', { skip: redisSkip }, () => {
  parallelLockoutCases({ env: { PARAPET_REDIS_URL: TEST_REDIS_URL } });
});
