// Test databases: a migrated PGlite (loaded from a template dump cached on disk, since creating a
import { schemaMigrations } from '../../src/schema.ts';
// PGlite runs initdb and takes seconds) or a fresh database on the PostgreSQL server.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { DB } from '../../src/database.ts';
import { keyringFromRoot, type Keyring } from '../../src/platform/crypto/keyring.ts';
import { migrate, openDatabase, openPglite, type Database } from '../../src/platform/db/index.ts';

/** A fixed keyring for tests, so a cached migrated template matches every run. */
export const TEST_KEYRING: Keyring = keyringFromRoot('test-keyring', Buffer.alloc(32, 7));

export type TestDbKind = 'pglite' | 'postgres';

/** Which database the general suites use: PARAPET_TEST_DB=postgres selects the server. */
export const TEST_DB_KIND: TestDbKind = process.env['PARAPET_TEST_DB'] === 'postgres' ? 'postgres' : 'pglite';

export const PG_ADMIN_URL = process.env['PARAPET_TEST_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly db: Database<DB>;
  readonly kind: TestDbKind;
  /** Connection URLs (server only). */
  readonly urls: { readonly app: string; readonly owner: string; readonly admin: string } | undefined;
  close(): Promise<void>;
}

function templatePath(): string {
  const digest = createHash('sha256');
  for (const m of schemaMigrations()) digest.update(m.name).update(m.checksum);
  return join(tmpdir(), `parapet-test-template-${digest.digest('hex').slice(0, 16)}.tar`);
}

async function pgliteDatabase(): Promise<TestDatabase> {
  const path = templatePath();
  let pglite: PGlite;
  if (existsSync(path)) {
    pglite = await PGlite.create({ loadDataDir: new Blob([readFileSync(path)]) });
  } else {
    pglite = await PGlite.create();
    await migrate(openPglite<DB>(pglite), TEST_KEYRING.derive('tenant-context-mac'), schemaMigrations());
    const dump = await pglite.dumpDataDir('none');
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.from(await dump.arrayBuffer()));
    renameSync(temp, path);
  }
  const db = openPglite<DB>(pglite);
  // Re-running migrate on the loaded template is a no-op that also verifies its checksums.
  await migrate(db, TEST_KEYRING.derive('tenant-context-mac'), schemaMigrations());
  return { db, kind: 'pglite', urls: undefined, close: () => db.close() };
}

/** True when the PostgreSQL server answers within three seconds. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why server suites are skipped, or false when they can run. Fails instead when PARAPET_REQUIRE_PG=1. */
export async function postgresSkipReason(): Promise<string | false> {
  if (await postgresAvailable()) return false;
  const reason = `PostgreSQL server not reachable at ${PG_ADMIN_URL}`;
  if (process.env['PARAPET_REQUIRE_PG'] === '1') throw new Error(`${reason}, and PARAPET_REQUIRE_PG=1 requires it`);
  process.stdout.write(`# skipped: ${reason}\n`);
  return reason;
}

function withUser(url: string, user: string, database: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates the two roles (idempotent) and a fresh database owned by parapet_owner. */
export async function createServerDatabase(): Promise<{ name: string; app: string; owner: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  const name = `parapet_test_${randomBytes(6).toString('hex')}`;
  try {
    // Role creation races between parallel test files; a duplicate is fine.
    for (const statement of [
      'create role parapet_owner login',
      'create role parapet_app login nosuperuser nobypassrls noinherit nocreatedb nocreaterole',
    ]) {
      await admin.query(statement).catch((error: unknown) => {
        if ((error as { code?: string }).code !== '42710' && (error as { code?: string }).code !== '23505') throw error;
      });
    }
    await admin.query(`create database ${name} owner parapet_owner`);
  } finally {
    await admin.end();
  }
  return {
    name,
    app: withUser(PG_ADMIN_URL, 'parapet_app', name),
    owner: withUser(PG_ADMIN_URL, 'parapet_owner', name),
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Issue 13, property 4: the jobs login (as scripts/postgres-setup.sh creates it) and its URL for a
 * test database. Creating it changes nothing for other databases: the tenant-listing functions
 * require it only where the application recorded it (parapet_private.jobs_login).
 */
export async function jobsLoginUrl(database: { readonly urls?: { readonly app: string } | undefined }): Promise<string> {
  const appUrl = database.urls?.app;
  if (appUrl === undefined) throw new Error('the jobs login exists on a PostgreSQL server only');
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    for (const statement of ['create role parapet_jobs login nosuperuser nobypassrls noinherit nocreatedb nocreaterole', 'grant parapet_app to parapet_jobs']) {
      await admin.query(statement).catch((error: unknown) => {
        // Parallel test files race here: an existing role or membership is fine.
        if (!['42710', '23505', 'XX000'].includes((error as { code?: string }).code ?? '')) throw error;
      });
    }
  } finally {
    await admin.end();
  }
  const url = new URL(appUrl);
  url.username = 'parapet_jobs';
  return url.toString();
}

async function postgresDatabase(): Promise<TestDatabase> {
  const created = await createServerDatabase();
  const db = await openDatabase<DB>({ url: created.app, migrationUrl: created.owner, dataDir: tmpdir(), poolSize: 5 });
  await migrate(db, TEST_KEYRING.derive('tenant-context-mac'), schemaMigrations());
  return {
    db,
    kind: 'postgres',
    urls: { app: created.app, owner: created.owner, admin: PG_ADMIN_URL },
    close: async () => {
      await db.close();
      await created.drop();
    },
  };
}

/** A migrated database of the configured kind. */
export async function openTestDatabase(kind: TestDbKind = TEST_DB_KIND): Promise<TestDatabase> {
  return kind === 'postgres' ? postgresDatabase() : pgliteDatabase();
}
