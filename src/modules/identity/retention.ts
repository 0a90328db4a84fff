import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

const INFINITY = sql`'infinity'::timestamptz`;

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const IDENTITY_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'sessions',
    description: 'Console sessions that ended (signed out, revoked, idle or past their absolute lifetime).',
    table: 'sessions',
    scope: 'platform',
    endedAt: sql<Date>`least(coalesce(revoked_at, ${INFINITY}), absolute_expires_at, last_seen_at + idle_timeout_seconds * interval '1 second')`,
    defaultDays: 30,
    minDays: 1,
    maxDays: 3660,
  },
  {
    type: 'setup_tokens',
    description: 'One-time setup links that were used or expired.',
    table: 'setup_tokens',
    scope: 'platform',
    endedAt: sql<Date>`least(coalesce(used_at, ${INFINITY}), expires_at)`,
    defaultDays: 7,
    minDays: 1,
    maxDays: 365,
  },
  {
    type: 'login_throttle',
    description: 'Failed sign-in counters with no failure and no running lock since the cutoff (the counting window is 24 hours).',
    table: 'login_throttle',
    scope: 'platform',
    endedAt: sql<Date>`greatest(last_failure_at, coalesce(locked_until, last_failure_at))`,
    defaultDays: 1,
    minDays: 1,
    maxDays: 30,
  },
] satisfies TableRetention[]);
