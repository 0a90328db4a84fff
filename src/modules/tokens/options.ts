import { defineOption, integer } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly tokenKeyRotationDays: number;
    readonly refreshTokenDays: number;
    readonly refreshReuseGraceSeconds: number;
    readonly refreshPerMinute: number;
  }
}

/** The tokens module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const TOKENS_OPTIONS = [
  defineOption({
    key: 'tokenKeyRotationDays', env: 'PARAPET_TOKEN_KEY_ROTATION_DAYS', defaultText: '30',
    description: 'Access-token signing keys rotate every this many days (derived from the keyring; the JWKS publishes the previous, current and next key).',
    parse: integer(1, 365), derive: () => 30,
  }),
  defineOption({
    key: 'refreshTokenDays', env: 'PARAPET_REFRESH_TOKEN_DAYS', defaultText: '7',
    description: 'API clients: a refresh-token family (and its session) ends this many days after sign-in, however often it is rotated.',
    parse: integer(1, 90), derive: () => 7,
  }),
  defineOption({
    key: 'refreshReuseGraceSeconds', env: 'PARAPET_REFRESH_REUSE_GRACE_SECONDS', defaultText: '10',
    description: 'A refresh token presented again this soon after its rotation gets the same successor (a concurrent double refresh); later, reuse revokes its whole family.',
    parse: integer(0, 60), derive: () => 10,
  }),
  defineOption({
    key: 'refreshPerMinute', env: 'PARAPET_REFRESH_PER_MINUTE', defaultText: '10',
    description: 'Refreshes one refresh-token family may make per minute, on all nodes together.',
    parse: integer(1, 1000), derive: () => 10,
  }),
] as const;
