import { hash, verify } from '@node-rs/argon2';
import { availableParallelism } from 'node:os';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first configuration: m = 19 MiB, t = 2,
 * p = 1. @node-rs/argon2 runs hashing on libuv's thread pool, off the event loop, at most
 * `concurrency` at a time (default: one per core but one).
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

/**
 * How many argon2id computations run at once by default: one per core but one, so that under a
 * sign-in burst the event loop and a co-located PostgreSQL keep a core (docs/benchmarks.md, "login").
 * libuv's pool (4 threads) would otherwise run four 19 MiB hashes on a 2-core machine and starve both.
 */
export function defaultHashingConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Runs at most `limit` tasks at once; the others wait in arrival order. */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  };
  return async (task) => {
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}

export async function createPasswordHasher(params: Argon2Params = ARGON2_PARAMS, options: { readonly concurrency?: number } = {}): Promise<PasswordHasher> {
  const expected = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
  const limit = createLimiter(options.concurrency ?? defaultHashingConcurrency());
  const dummyHash = await hash(crypto.randomUUID(), params);
  return {
    hash: (password) => limit(() => hash(password, params)),
    verify: (stored, password) =>
      limit(async () => {
        try {
          return await verify(stored, password);
        } catch {
          return false;
        }
      }),
    needsRehash: (stored) => !stored.startsWith(expected),
    dummyHash,
  };
}
