import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const ALERTS_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'security_events',
    description: 'Security alerts, counted from their acknowledgement (unacknowledged alerts are kept).',
    table: 'security_alerts',
    scope: 'tenant',
    endedAt: sql<Date | null>`acknowledged_at`,
    defaultDays: 365,
    minDays: 30,
    maxDays: 3660,
  },
] satisfies TableRetention[]);
