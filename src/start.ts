import { schemaMigrations } from './schema.ts';
import type { Logger } from 'pino';
import { buildApp, type App } from './app.ts';
import type { Config } from './config/index.ts';
import type { DB } from './database.ts';
import { createPasswordHasher } from './modules/identity/index.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { loadTlsPair } from './platform/http/tls.ts';
import { loadOrCreateKeyring, type Keyring } from './platform/crypto/keyring.ts';
import { keyProviderFor } from './modules/keys/index.ts';
import { createShredRegister, shredRegisterPath } from './platform/crypto/shred-register.ts';
import { systemRandom, type Random } from './platform/crypto/random.ts';
import { createContextSigner, createTransactor, migrate, openDatabase, type Database } from './platform/db/index.ts';

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
  const { keyring, created } = loadOrCreateKeyring(config.keyringPath);
  if (created) logger.info({ path: config.keyringPath }, 'created local keyring (mode 0600); back it up: without it the data cannot be used');
  const db = await openDatabase<DB>({ url: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, caFile: config.databaseCaFile });
  try {
    const contextKey = keyring.derive('tenant-context-mac');
    const result = await migrate(db, contextKey, schemaMigrations());
    if (result.applied.length > 0) logger.info({ migrations: result.applied }, 'applied migrations');
    const transactor = createTransactor<DB>(db.app, createContextSigner(contextKey));
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
    await db.close();
    throw error;
  }
}

