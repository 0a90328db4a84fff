import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const OAUTH_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'assertion_jtis',
    description: 'Spent OAuth client-assertion ids (RFC 7523 replay protection), counted from the assertion\u2019s expiry.',
    table: 'oauth_assertion_jtis',
    scope: 'tenant',
    endedAt: sql<Date>`expires_at`,
    defaultDays: 1,
    minDays: 0,
    maxDays: 30,
  },
] satisfies TableRetention[]);
