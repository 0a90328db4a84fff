import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, OwnerSession } from './connect.ts';
import { installContextKey, type ContextKeyState } from './context-key.ts';

export const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
export const OWNER_ROLE = 'parapet_owner';

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Reads `NNNN_name.sql` files in order, with the SHA-256 of each file's bytes. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const bytes = readFileSync(join(dir, file));
      return { name: file, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly contextKey: ContextKeyState;
}

/**
 * Brings the schema up to date as parapet_owner, under an advisory lock so concurrent starts do
 * not race. An applied migration whose file changed is refused: history is never rewritten.
 * When the session is a superuser (PGlite always; a server only if so configured) the two
 * roles are created first.
 */
export async function migrate<DB>(db: Database<DB>, contextKey: Buffer, migrations: readonly Migration[] = readMigrations()): Promise<MigrateResult> {
  return db.withOwner(async (session) => {
    await session.query('select pg_advisory_xact_lock(7450104021)');
    await ensureRoles(session);
    await session.exec(`
      create table if not exists parapet_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      );
      revoke all on parapet_migrations from public;`);
    const applied = new Map(
      (await session.query<{ name: string; checksum: string }>('select name, checksum from parapet_migrations')).map((row) => [row.name, row.checksum]),
    );
    const known = new Set(migrations.map((m) => m.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) {
        throw new MigrationError(`the database has migration ${name}, which this version of Parapet does not know; a newer version migrated it`);
      }
    }
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError(
            `migration ${migration.name} was edited after it was applied (applied checksum ${checksum.slice(0, 12)}…, file ${migration.checksum.slice(0, 12)}…); restore the original file and put the change in a new migration`,
          );
        }
        continue;
      }
      try {
        await session.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      await session.query('insert into parapet_migrations (name, checksum) values ($1, $2)', [migration.name, migration.checksum]);
      done.push(migration.name);
    }
    const contextKey_ = await installContextKey(session, contextKey);
    if (contextKey_ === 'mismatch') {
      throw new MigrationError(
        'this database was migrated with a different keyring (tenant context key mismatch); run with the keyring it was created with',
      );
    }
    return { applied: done, contextKey: contextKey_ };
  });
}

/** Creates parapet_owner and parapet_app when the session may, and switches to the owner role. */
async function ensureRoles(session: OwnerSession): Promise<void> {
  const [me] = await session.query<{ superuser: boolean; name: string }>(
    'select rolsuper as superuser, current_user as name from pg_roles where rolname = current_user',
  );
  if (me?.superuser === true) {
    await session.exec(`
      do $$ begin
        if not exists (select from pg_roles where rolname = 'parapet_owner') then
          create role parapet_owner nologin;
        end if;
        if not exists (select from pg_roles where rolname = 'parapet_app') then
          create role parapet_app nologin nosuperuser nobypassrls noinherit;
        end if;
        execute format('grant create on database %I to parapet_owner', current_database());
      end $$;
      grant create, usage on schema public to parapet_owner;
      set local role parapet_owner;`);
    return;
  }
  if (me?.name !== OWNER_ROLE) {
    throw new MigrationError(`migrations must run as ${OWNER_ROLE} (or a superuser), not ${String(me?.name)}; set PARAPET_MIGRATION_DATABASE_URL`);
  }
}
