import { defineOption, integer, fraction } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly auditApiSampling: number;
    readonly auditRetentionDays: number;
  }
}

/** The audit module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const AUDIT_OPTIONS = [
  defineOption({
    key: 'auditApiSampling', env: 'PARAPET_AUDIT_API_SAMPLING', defaultText: '1',
    description: 'Share of API calls recorded as `api.request` audit events (1 = every call; authentication and administrative events are always recorded).',
    parse: fraction, derive: () => 1,
  }),
  defineOption({
    key: 'auditRetentionDays', env: 'PARAPET_AUDIT_RETENTION_DAYS', defaultText: '400',
    description: 'Platform default audit retention in days (about 13 months); organizations may choose 90 days to 7 years.',
    parse: integer(7, 3660), derive: () => 400,
  }),
] as const;
