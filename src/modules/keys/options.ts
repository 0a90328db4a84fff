import { defineOption, integer } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly keyRotationDays: number;
    readonly keyMaxEncryptions: number;
    readonly keyCacheSeconds: number;
    readonly keyCacheUses: number;
  }
}

/** The keys module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const KEYS_OPTIONS = [
  defineOption({
    key: 'keyRotationDays', env: 'PARAPET_KEY_ROTATION_DAYS', defaultText: '90',
    description: 'Tenant keys rotate automatically once their primary version is this old (0 turns scheduled rotation off).',
    parse: integer(0, 3660), derive: () => 90,
  }),
  defineOption({
    key: 'keyMaxEncryptions', env: 'PARAPET_KEY_MAX_ENCRYPTIONS', defaultText: '4294967296',
    description: 'Values one tenant key version may encrypt (random 96-bit nonces: at most 2^32); a new version takes over at the limit.',
    parse: integer(1, 2 ** 32), derive: () => 2 ** 32,
  }),
  defineOption({
    key: 'keyCacheSeconds', env: 'PARAPET_KEY_CACHE_SECONDS', defaultText: '300',
    description: 'How long an unwrapped tenant key stays in memory (also how long other nodes may still use a rotated-out version).',
    parse: integer(1, 86_400), derive: () => 300,
  }),
  defineOption({
    key: 'keyCacheUses', env: 'PARAPET_KEY_CACHE_USES', defaultText: '1000000',
    description: 'Encryptions and decryptions after which an unwrapped tenant key is dropped from memory and unwrapped again.',
    parse: integer(1, 1_000_000_000), derive: () => 1_000_000,
  }),
] as const;
