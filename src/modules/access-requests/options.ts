import { defineOption, integer } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly jitMaxHours: number;
    readonly riskyWriteCoolingOffMinutes: number;
  }
}

/** The access-requests module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const ACCESS_REQUESTS_OPTIONS = [
  defineOption({
    key: 'jitMaxHours', env: 'PARAPET_JIT_MAX_HOURS', defaultText: '4',
    description: 'Longest just-in-time access grant a user may request, in hours (1 to 168); break-glass access is capped at 1 hour regardless.',
    parse: integer(1, 168), derive: () => 4,
  }),
  defineOption({
    key: 'riskyWriteCoolingOffMinutes', env: 'PARAPET_RISKY_WRITE_COOLING_OFF_MINUTES', defaultText: '60',
    description: 'How long an administrator who is alone able to approve a risky write (deleting a project, …) waits after requesting it before confirming it alone, with a recent sign-in (5 to 10080).',
    parse: integer(5, 10080), derive: () => 60,
  }),
] as const;
