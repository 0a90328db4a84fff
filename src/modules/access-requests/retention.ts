import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const ACCESS_REQUESTS_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'access_requests',
    description: 'Decided just-in-time access requests, counted from the decision (or the grant\u2019s expiry); pending ones are kept.',
    table: 'access_requests',
    scope: 'tenant',
    endedAt: sql<Date | null>`case when status = 'pending' then null when status = 'approved' then greatest(decided_at, coalesce(expires_at, decided_at)) else decided_at end`,
    defaultDays: 400,
    minDays: 30,
    maxDays: 3660,
  },
  {
    type: 'risky_write_approvals',
    description: 'Approved or rejected risky-write approvals, counted from the decision; pending ones are kept.',
    table: 'risky_write_approvals',
    scope: 'tenant',
    endedAt: sql<Date | null>`case when status = 'pending' then null else decided_at end`,
    defaultDays: 400,
    minDays: 30,
    maxDays: 3660,
  },
] satisfies TableRetention[]);
