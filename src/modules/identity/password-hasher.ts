import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first configuration: m = 19 MiB, t = 2,
 * p = 1. @node-rs/argon2 runs hashing on libuv's thread pool, off the event loop.
 */
// The binding's default algorithm is argon2id (its `Algorithm` is an ambient const enum that
// isolated modules cannot reference); `needsRehash` and the tests check the `$argon2id$` prefix.
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant work whether or not `stored` is real: callers pass `dummyHash` for unknown users. */
  verify(stored: string, password: string): Promise<boolean>;
  /** True when `stored` was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean;
  /** A hash of a random password with the current parameters, for uniform timing. */
  readonly dummyHash: string;
}

/** argon2id cost parameters (tests and migrations may use others than the defaults). */
export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly outputLen: number;
}

export async function createPasswordHasher(params: Argon2Params = ARGON2_PARAMS): Promise<PasswordHasher> {
  const expected = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
  const dummyHash = await hash(crypto.randomUUID(), params);
  return {
    hash: (password) => hash(password, params),
    verify: async (stored, password) => {
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    },
    needsRehash: (stored) => !stored.startsWith(expected),
    dummyHash,
  };
}
