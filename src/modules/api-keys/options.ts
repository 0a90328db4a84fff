import { defineOption, integer } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly apiKeyMaxDays: number;
  }
}

/** The api-keys module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const API_KEYS_OPTIONS = [
  defineOption({
    key: 'apiKeyMaxDays', env: 'PARAPET_API_KEY_MAX_DAYS', defaultText: '365',
    description: 'The longest lifetime, in days, an API key may be created with (keys default to 90 days and are flagged for rotation at that age).',
    parse: integer(1, 3650), derive: () => 365,
  }),
] as const;
