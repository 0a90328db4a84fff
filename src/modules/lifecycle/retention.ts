import { sql } from 'kysely';
import type { TableRetention } from './retention-types.ts';

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const LIFECYCLE_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'deleted_accounts',
    description: 'Tombstones of deleted accounts (email HMAC and dates), counted from the deletion.',
    table: 'account_tombstones',
    scope: 'platform',
    endedAt: sql<Date>`deleted_at`,
    defaultDays: 365,
    minDays: 30,
    maxDays: 3660,
  },
] satisfies TableRetention[]);
