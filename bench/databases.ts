// Databases for the benchmarks: a migrated PGlite in memory, or a fresh database on the PostgreSQL
import { schemaMigrations } from '../src/schema.ts';
// server (made by the test helper), each with a second, unrestricted query builder for baselines and
// a seeded set of tenants.
import { tmpdir } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createServerDatabase, PG_ADMIN_URL, postgresAvailable, TEST_KEYRING } from '../test/support/databases.ts';
import type { AppTransactor, DB } from '../src/database.ts';
import { createRowIntegrity, insertUser } from '../src/modules/identity/index.ts';
import { insertMembership, insertOrganization, insertProject } from '../src/modules/tenants/tenants-store.ts';
import { grantCreator } from '../src/modules/access/access-store.ts';
import { systemClock } from '../src/platform/clock.ts';
import { systemRandom, uuidv7 } from '../src/platform/crypto/random.ts';
import { registerBindingMode } from '../src/platform/db/connection-binding.ts';
import { createContextSigner, createTransactor, migrate, openDatabase, openPglite, type Database } from '../src/platform/db/index.ts';

export { PG_ADMIN_URL };

/** The tests' fixed keyring, so a bench database migrates like a test one. */
export const BENCH_KEYRING = TEST_KEYRING;
export const BENCH_CONTEXT_KEY = BENCH_KEYRING.derive('tenant-context-mac');

export interface BenchDatabase {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Database<DB>;
  readonly transactor: AppTransactor;
  /**
   * A query builder that row-level security does not restrict, for baselines. PGlite: `db.app`
   * itself (the embedded session is a superuser). Server: a second pool of the same size logged in
   * as the `postgres` superuser, on the same database, tables and indexes; `db.app` there logs in
   * as parapet_app, where a query without a tenant context sees no rows.
   */
  readonly bare: Kysely<DB>;
  /**
   * PGlite only: a transactor on the same session through Kysely's own PGlite driver, as every
   * embedded transaction ran before issue 16 (BEGIN, context, each statement and COMMIT as separate
   * `PGlite.query`/`exec` calls), measured beside the current path in the same rounds.
   */
  readonly kyselyDriverTransactor: AppTransactor | undefined;
  /** The parapet_app login URL (server only), for prototypes that need their own connections. */
  readonly appUrl: string | undefined;
  /** Tenant id, project id and member of one seeded project to read. */
  readonly target: { readonly tenantId: string; readonly projectId: string; readonly userId: string };
  close(): Promise<void>;
}

/** Why the server benchmarks cannot run, or false when the server answers. */
export async function postgresSkipReason(): Promise<string | false> {
  return (await postgresAvailable()) ? false : `PostgreSQL server not reachable at ${PG_ADMIN_URL}`;
}

/**
 * Opens and migrates a database, then seeds `tenants` organizations with `projectsPerTenant`
 * projects each, all owned by one user (`passwordHash` lets that user sign in), and `extraUsers` more
 * accounts with the same password that own nothing.
 */
export async function openBenchDatabase(
  kind: 'pglite' | 'postgres',
  options: { readonly poolSize?: number; readonly tenants?: number; readonly projectsPerTenant?: number; readonly passwordHash?: string; readonly extraUsers?: number } = {},
): Promise<BenchDatabase> {
  const poolSize = options.poolSize ?? 10;
  let db: Database<DB>;
  let bare: Kysely<DB>;
  let cleanup: () => Promise<void>;
  let appUrl: string | undefined;
  let kyselyDriver: Kysely<DB> | undefined;
  if (kind === 'pglite') {
    // As openDatabase({ url: 'memory:' }) opens it, keeping the instance for the second transactor.
    const pglite = await PGlite.create({ postgresqlconf: ['shared_buffers = 16MB'] });
    db = openPglite<DB>(pglite);
    bare = db.app;
    kyselyDriver = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
    registerBindingMode(kyselyDriver, 'single');
    cleanup = () => db.close();
  } else {
    const created = await createServerDatabase();
    appUrl = created.app;
    db = await openDatabase<DB>({ url: created.app, migrationUrl: created.owner, dataDir: tmpdir(), poolSize });
    const superuser = new URL(PG_ADMIN_URL);
    superuser.pathname = `/${created.name}`;
    const pool = new pg.Pool({ connectionString: superuser.toString(), max: poolSize });
    bare = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    cleanup = async () => {
      await bare.destroy();
      await db.close();
      await created.drop();
    };
  }
  try {
    await migrate(db, BENCH_CONTEXT_KEY, schemaMigrations());
    const transactor = createTransactor<DB>(db.app, createContextSigner(BENCH_CONTEXT_KEY));
    const target = await seed(transactor, options.tenants ?? 50, options.projectsPerTenant ?? 20, options.passwordHash ?? 'not a usable hash', options.extraUsers ?? 0);
    // Fresh statistics, so the planner picks the index from the first round, not after autovacuum.
    await sql`analyze`.execute(bare);
    const kyselyDriverTransactor = kyselyDriver === undefined ? undefined : createTransactor<DB>(kyselyDriver, createContextSigner(BENCH_CONTEXT_KEY));
    return { kind, db, transactor, kyselyDriverTransactor, bare, appUrl, target, close: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function seed(transactor: AppTransactor, tenants: number, projectsPerTenant: number, passwordHash: string, extraUsers: number) {
  const now = systemClock.now();
  const id = () => uuidv7(systemClock, systemRandom);
  const user = await transactor.withPlatform((tx) =>
    // Sealed to the user as the application stores it (issue 13, property 2).
    insertUser(tx, { id: id(), email: 'bench@example.com', displayName: 'bench', passwordHash, isPlatformAdmin: false, now }, createRowIntegrity(TEST_KEYRING.derive('row-integrity'))),
  );
  // Accounts `bench-<i>@example.com` with the same password, for benchmarks that sign in many at once
  // (one account's parallel attempts count as pending failures: its throttle would refuse them).
  for (let i = 0; i < extraUsers; i++) {
    await transactor.withPlatform((tx) => insertUser(tx, { id: id(), email: `bench-${i}@example.com`, displayName: `bench ${i}`, passwordHash, isPlatformAdmin: false, now }, createRowIntegrity(TEST_KEYRING.derive('row-integrity'))));
  }
  let target: { tenantId: string; projectId: string; userId: string } | undefined;
  for (let t = 0; t < tenants; t++) {
    const tenantId = id();
    const projectIds = await transactor.withTenant(
      tenantId,
      async (tx) => {
        await insertOrganization(tx, { id: tenantId, name: `org ${t}`, created_by: user.id, created_at: now, updated_at: now });
        await insertMembership(tx, tenantId, user.id, 'owner', now);
        // As the organization's creator: Tenant Admin (without it every route answers 403).
        await grantCreator(tx, createRowIntegrity(BENCH_KEYRING.derive('row-integrity')), tenantId, user.id, now, id());
        const ids: string[] = [];
        for (let p = 0; p < projectsPerTenant; p++) {
          const project = { tenant_id: tenantId, id: id(), name: `project ${p}`, created_at: now, updated_at: now };
          await insertProject(tx, project);
          ids.push(project.id);
        }
        return ids;
      },
      user.id,
    );
    // Read a project from the middle of the data, not the first or last row inserted.
    if (t === Math.floor(tenants / 2)) target = { tenantId, projectId: projectIds[Math.floor(projectIds.length / 2)]!, userId: user.id };
  }
  if (target === undefined) throw new Error('seeded no tenants');
  return target;
}
