import { schemaMigrations } from './schema.ts';
import { existsSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { buildApp, type App } from './app.ts';
import type { Config } from './config/index.ts';
import type { DB } from './database.ts';
import { createPasswordHasher } from './modules/identity/index.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { loadTlsPair } from './platform/http/tls.ts';
import { KeyringError, loadOrCreateKeyring, type Keyring } from './platform/crypto/keyring.ts';
import { keyProviderFor } from './modules/keys/index.ts';
import { createShredRegister, shredRegisterPath } from './platform/crypto/shred-register.ts';
import { systemRandom, type Random } from './platform/crypto/random.ts';
import { createContextSigner, createTransactor, migrate, openDatabase, type Database } from './platform/db/index.ts';
import { recordJobsLogin } from './platform/db/jobs-login.ts';

export interface Runtime {
  readonly config: Config;
  readonly keyring: Keyring;
  readonly keyringCreated: boolean;
  readonly db: Database<DB>;
  readonly app: App;
  close(): Promise<void>;
}

/**
 * Opens the keyring and database, migrates, and builds the app: everything `serve` needs. With
 * `background` (serve), the audit sequencer runs too (on whichever node holds its lock).
 */
export async function startRuntime(config: Config, logger: Logger, options: { clock?: Clock; random?: Random; background?: boolean } = {}): Promise<Runtime> {
  // A missing, loose or mismatched certificate/key stops start-up before anything else is opened.
  const tls = config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined ? loadTlsPair({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }) : undefined;
  const db = await openDatabase<DB>({
    url: config.databaseUrl,
    migrationUrl: config.migrationDatabaseUrl,
    jobsUrl: config.jobsDatabaseUrl,
    dataDir: config.dataDir,
    caFile: config.databaseCaFile,
    poolSize: config.databasePoolSize,
    listenUrl: config.databaseListenUrl,
    // A dropped connection is retried (pool, LISTEN, leader locks); the statements it failed report
    // it. Pool clients are many and replaced on demand: their losses are debug lines.
    onConnectionError: (error, connection) => {
      const fields = { err: { message: error.message, code: (error as { code?: unknown }).code }, connection };
      if (connection.startsWith('pool')) logger.debug(fields, 'database connection lost');
      else logger.warn(fields, 'database connection lost; reconnecting');
    },
  });
  let createdKeyring = false;
  try {
    // Nothing is written before the checks pass: a node given no keyring for a database that
    // already has one is refused before a new keyring.json exists, and a keyring created here is
    // removed again if the database refuses it.
    const { keyring, created } = await keyringForDatabase(db, config.keyringPath);
    createdKeyring = created;
    const contextKey = keyring.derive('tenant-context-mac');
    const result = await migrate(db, contextKey, schemaMigrations());
    if (created) logger.info({ path: config.keyringPath }, 'created local keyring (mode 0600); back it up: without it the data cannot be used');
    createdKeyring = false;
    if (result.applied.length > 0) logger.info({ migrations: result.applied }, 'applied migrations');
    // Issue 13, property 4: the tenant-listing functions require the jobs login when one is configured.
    if (db.kind === 'postgres' && (db.separateOwnerLogin || config.jobsDatabaseUrl !== undefined)) {
      const jobsLogin = await recordJobsLogin(db, config.jobsDatabaseUrl).catch((error: unknown) => {
        throw new Error(`recording the jobs login needs the owner login (PARAPET_MIGRATION_DATABASE_URL): ${(error as Error).message}`, { cause: error });
      });
      if (jobsLogin !== undefined) logger.info({ login: jobsLogin }, 'background jobs list tenants on their own login');
    }
    const transactor = createTransactor<DB>(db.app, createContextSigner(contextKey), logger);
    const app = await buildApp({
      config,
      logger,
      db,
      transactor,
      hasher: await createPasswordHasher(),
      clock: options.clock ?? systemClock,
      random: options.random ?? systemRandom,
      keyring,
      // ENC-2: the local provider persists root rotations to the keyring file.
      keyProvider: keyProviderFor(config, keyring, { persist: true }),
      ...(tls === undefined ? {} : { tls }),
      // DATA-3: destroyed tenants are listed beside the keyring, outside the database and its backups.
      shredRegister: createShredRegister({ path: shredRegisterPath(config) }),
    });
    // Every module's background loops (audit sequencer and delivery, key maintenance, data
    // lifecycle, pending sign-in purge) run on serving nodes; the leader loops run on one node at a time.
    const stops = options.background === true ? app.jobs.map((job) => job.start()) : [];
    return {
      config,
      keyring,
      keyringCreated: created,
      db,
      app,
      close: async () => {
        await app.http.close();
        for (const stop of stops.reverse()) await stop();
        await db.close();
      },
    };
  } catch (error) {
    if (createdKeyring) rmSync(config.keyringPath, { force: true });
    await db.close();
    throw error;
  }
}

/**
 * Loads the keyring, creating it only for a database no keyring has migrated yet: a node given no
 * keyring for an existing installation is refused before it writes one. The caller removes a
 * created keyring if migrating with it then fails.
 */
export async function keyringForDatabase(db: Database<DB>, path: string): Promise<{ keyring: Keyring; created: boolean }> {
  if (!existsSync(path) && (await contextKeyInstalled(db))) {
    throw new KeyringError(
      `no keyring at ${path}, but this database was set up with one: copy keyring.json from a node of this installation there (or point PARAPET_KEYRING at it); a new keyring would not match`,
    );
  }
  return loadOrCreateKeyring(path);
}

/** True when the database holds a tenant-context key, i.e. some keyring already migrated it. */
async function contextKeyInstalled(db: Database<DB>): Promise<boolean> {
  return db.withOwner(async (session) => {
    const [row] = await session.query<{ installed: boolean }>(
      "select to_regclass('parapet_private.context_key') is not null as installed",
    );
    if (row?.installed !== true) return false;
    const [key] = await session.query<{ n: number }>('select count(*)::int as n from parapet_private.context_key');
    return (key?.n ?? 0) > 0;
  });
}

