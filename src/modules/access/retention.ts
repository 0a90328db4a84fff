import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const ACCESS_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'expired_grants',
    description: 'Role bindings past their expiry (ended just-in-time grants and time-boxed bindings).',
    table: 'role_bindings',
    scope: 'tenant',
    endedAt: sql<Date | null>`expires_at`,
    defaultDays: 90,
    minDays: 1,
    maxDays: 3660,
  },
] satisfies TableRetention[]);
