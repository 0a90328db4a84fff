// Builds a full Parapet app on a test database, with captured logs and helpers to create users
// and sign in. Requests go through app.inject(): no sockets.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import type { AppTransactor } from '../../src/database.ts';
import { createPasswordHasher, createRowIntegrity, insertUser, type PasswordHasher, type UserRow } from '../../src/modules/identity/index.ts';
import { systemClock, type Clock } from '../../src/platform/clock.ts';
import { systemRandom, uuidv7 } from '../../src/platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../../src/platform/db/index.ts';
import type { KeyProvider } from '../../src/platform/crypto/key-provider.ts';
import { loadTlsPair } from '../../src/platform/http/tls.ts';
import { createLogger } from '../../src/platform/log/logger.ts';
import { openTestDatabase, TEST_KEYRING, type TestDatabase, type TestDbKind } from './databases.ts';
import { TEST_REDIS_PREFIX } from './redis.ts';

export interface TestApp {
  readonly app: App;
  readonly config: Config;
  readonly database: TestDatabase;
  readonly transactor: AppTransactor;
  /** Every log line written so far, as raw JSON text. */
  readonly logs: string[];
  createUser(email: string, password: string, options?: { platformAdmin?: boolean }): Promise<UserRow>;
  /** Signs in and returns the Cookie header value for later requests. */
  login(email: string, password: string): Promise<string>;
  inject: App['http']['inject'];
  close(): Promise<void>;
}

let sharedHasher: Promise<PasswordHasher> | undefined;

/**
 * Suites create organizations as ordinary users, many each; organization-creation.security.test.ts
 * checks the platform defaults (platform administrators only, 10 per user) by overriding these.
 */
const TEST_ORGANIZATION_CREATION = { PARAPET_ORGANIZATION_CREATORS: 'any_user', PARAPET_ORGANIZATIONS_PER_USER: '10000' };

export const TEST_PASSWORD = 'a perfectly fine passphrase';

export async function createTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    kind?: TestDbKind;
    database?: TestDatabase;
    logLevel?: 'trace' | 'debug' | 'info' | 'warn';
    /** Wraps the password hasher the app uses (to count calls). */
    wrapHasher?: (hasher: PasswordHasher) => PasswordHasher;
    /** Waits between mail delivery attempts (default: the app's). */
    mailRetryDelaysMs?: readonly number[];
    /** Prefix of the app's Redis keys (default: PARAPET_REDIS_PREFIX in `env`, else this test process's own). */
    redisKeyPrefix?: string;
    /** The root key provider (default: the local provider over the test keyring). */
    keyProvider?: KeyProvider;
  } = {},
): Promise<TestApp> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  // A data directory of its own, so mail sent without SMTP lands in a throwaway outbox.
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-test-data-'));
  const config = loadConfig({ env: { PARAPET_RATE_LIMIT: '100000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: options.logLevel ?? 'warn', PARAPET_DATA_DIR: dataDir, ...TEST_ORGANIZATION_CREATION, ...options.env } });
  const logger = createLogger(config.logLevel, sink);
  const database = options.database ?? (await openTestDatabase(options.kind));
  const transactor = createTransactor(database.db.app, createContextSigner(TEST_KEYRING.derive('tenant-context-mac')), logger);
  sharedHasher ??= createPasswordHasher();
  const baseHasher = await sharedHasher;
  const hasher = options.wrapHasher?.(baseHasher) ?? baseHasher;
  const clock = options.clock ?? systemClock;
  // With PARAPET_TLS_CERT_FILE/KEY_FILE in `env`, the app speaks HTTPS once it listens (as in start.ts).
  const tls = config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined ? loadTlsPair({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }) : undefined;
  const app = await buildApp({ config, logger, db: database.db, transactor, hasher, clock, random: systemRandom, keyring: TEST_KEYRING, ...redisPrefixOf(options), ...(tls === undefined ? {} : { tls }), ...(options.mailRetryDelaysMs === undefined ? {} : { mailRetryDelaysMs: options.mailRetryDelaysMs }), ...(options.keyProvider === undefined ? {} : { keyProvider: options.keyProvider }) });
  return {
    app,
    config,
    database,
    transactor,
    logs,
    inject: app.http.inject.bind(app.http),
    createUser: async (email, password, userOptions = {}) => {
      const passwordHash = await hasher.hash(password);
      return transactor.withPlatform((tx) =>
        insertUser(tx, { id: uuidv7(clock, systemRandom), email, displayName: email.split('@')[0] ?? email, passwordHash, isPlatformAdmin: userOptions.platformAdmin ?? false, now: clock.now() }, createRowIntegrity(TEST_KEYRING.derive('row-integrity'))),
      );
    },
    login: async (email, password) => {
      const response = await app.http.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
      if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
      return sessionCookie(response);
    },
    close: async () => {
      await app.http.close();
      if (options.database === undefined) await database.close();
    },
  };
}

/** The app's Redis prefix: the one asked for, the configured PARAPET_REDIS_PREFIX, or this test process's own. */
function redisPrefixOf(options: { env?: Record<string, string>; redisKeyPrefix?: string }): { redisKeyPrefix?: string } {
  if (options.redisKeyPrefix !== undefined) return { redisKeyPrefix: options.redisKeyPrefix };
  return options.env?.['PARAPET_REDIS_PREFIX'] === undefined ? { redisKeyPrefix: TEST_REDIS_PREFIX } : {};
}

/** The `name=value` pair of the session cookie a response set. */
export function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'parapet_session' || c.name === '__Host-parapet_session');
  if (cookie === undefined) throw new Error('no session cookie in response');
  return `${cookie.name}=${cookie.value}`;
}
