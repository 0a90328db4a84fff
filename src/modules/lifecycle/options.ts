import { defineOption, asString, integer, OptionError } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    /** Platform default retention per data type (DATA-1); types absent here use their built-in default. */
    readonly retentionDays: Readonly<Record<string, number>>;
    readonly retentionBatchSize: number;
    readonly deletionGraceDays: number;
  }
}

/** `type=days,…` (e.g. `sessions=30,security_alerts=365`); the types and their bounds are checked at start. */
function retentionMap(raw: unknown): Readonly<Record<string, number>> {
  const text = asString(raw);
  const map: Record<string, number> = {};
  if (text === '') return Object.freeze(map);
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^([a-z][a-z0-9_]{1,62})=(\d{1,5})$/.exec(part);
    if (match === null) throw new OptionError('expected comma-separated type=days pairs, e.g. sessions=30,security_alerts=365');
    map[match[1] ?? ''] = Number(match[2]);
  }
  return Object.freeze(map);
}

/** The lifecycle module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const LIFECYCLE_OPTIONS = [
  defineOption({
    key: 'retentionDays', env: 'PARAPET_RETENTION_DAYS', defaultText: '(each type\'s default)',
    description: 'Platform default retention per data type as type=days pairs (docs/data-lifecycle.md lists the types and their bounds); organizations may override tenant types within the bounds.',
    parse: retentionMap, derive: () => Object.freeze({}),
  }),
  defineOption({
    key: 'retentionBatchSize', env: 'PARAPET_RETENTION_BATCH_SIZE', defaultText: '1000',
    description: 'Rows the retention and deletion purges remove per statement (each batch is its own short transaction).',
    parse: integer(1, 100_000), derive: () => 1000,
  }),
  defineOption({
    key: 'deletionGraceDays', env: 'PARAPET_DELETION_GRACE_DAYS', defaultText: '14',
    description: 'Grace period between a request to delete an account or organization and its purge; it can be cancelled until then.',
    parse: integer(1, 90), derive: () => 14,
  }),
] as const;
