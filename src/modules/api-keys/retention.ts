import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

const INFINITY = sql`'infinity'::timestamptz`;

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const API_KEYS_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'ended_api_keys',
    description: 'API keys that were revoked, expired or retired after rotation (hash and metadata; the secret was never stored).',
    table: 'api_keys',
    scope: 'tenant',
    endedAt: sql<Date>`least(coalesce(revoked_at, ${INFINITY}), expires_at, coalesce(retires_at, ${INFINITY}))`,
    defaultDays: 90,
    minDays: 1,
    maxDays: 3660,
  },
  {
    type: 'request_signatures',
    description: 'Spent request-signature digests (AUTH-8 replay protection), counted from the end of their time window.',
    table: 'api_key_signatures',
    scope: 'tenant',
    endedAt: sql<Date>`expires_at`,
    defaultDays: 1,
    minDays: 0,
    maxDays: 30,
  },
] satisfies TableRetention[]);
