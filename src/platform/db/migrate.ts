import { ParapetError } from '../errors.ts';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, OwnerSession } from './connect.ts';
import { installContextKey, type ContextKeyState } from './context-key.ts';

export const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');
export const OWNER_ROLE = 'parapet_owner';

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends ParapetError {
  readonly code = 'migration';
  override readonly name = 'MigrationError';
}

/**
 * Reads the `NNNN_name.sql` files of `dirs` (the platform's and each module's) as one sequence,
 * ordered by number, with the SHA-256 of each file's bytes. Two files with the same number are
 * refused: the number is the order every database applies them in.
 */
export function readMigrations(dirs: readonly (string | URL)[] = [MIGRATIONS_DIR]): Migration[] {
  const files = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
      .map((file) => ({ file, path: join(dir instanceof URL ? fileURLToPath(dir) : dir, file) })),
  );
  files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    const [previous, current] = [files[i - 1], files[i]];
    if (previous !== undefined && current !== undefined && previous.file.slice(0, 4) === current.file.slice(0, 4)) {
      throw new MigrationError(`two migrations have the number ${current.file.slice(0, 4)}: ${previous.path} and ${current.path}`);
    }
  }
  return files.map(({ file, path }) => {
    const bytes = readFileSync(path);
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
export async function migrate<DB>(db: Database<DB>, contextKey: Buffer, migrations: readonly Migration[]): Promise<MigrateResult> {
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
