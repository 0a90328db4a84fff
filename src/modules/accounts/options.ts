import { defineOption, integer } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly invitationDays: number;
  }
}

/** The accounts module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const ACCOUNTS_OPTIONS = [
  defineOption({
    key: 'invitationDays', env: 'PARAPET_INVITATION_DAYS', defaultText: '7',
    description: 'How long an invitation link to an organization stays valid, in days (1 to 30).',
    parse: integer(1, 30), derive: () => 7,
  }),
] as const;
