import { sql } from 'kysely';
import type { TableRetention } from '../lifecycle/index.ts';

/** This module's data types under the retention policy (DATA-1; the lifecycle module purges them on schedule). */
export const SECRETS_RETENTION: readonly TableRetention[] = Object.freeze([
  {
    type: 'secret_versions',
    description: 'Secret values replaced by a newer version or deleted with their secret (ENC-4), counted from then; the live version is kept.',
    table: 'secret_versions',
    scope: 'tenant',
    endedAt: sql<Date | null>`superseded_at`,
    defaultDays: 90,
    minDays: 1,
    maxDays: 3660,
  },
] satisfies TableRetention[]);
