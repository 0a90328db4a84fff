/**
 * The database schema as the modules declare it: every migration in order, and who owns each
 * table. Composed from the manifests in `src/modules/index.ts`; nothing here is listed by hand
 * except the platform's own tables.
 */
import { MIGRATIONS_DIR, readMigrations, type Migration } from './platform/db/index.ts';
import type { TableScope } from './platform/module.ts';
import { MODULES } from './modules/index.ts';

/** Tables of the platform itself (no module): the migration ledger and the outgoing-mail log. */
export const PLATFORM_OWNED_TABLES: Readonly<Record<string, TableScope>> = {
  parapet_migrations: { scope: 'platform', reason: 'The ledger of applied migrations.' },
  mail_deliveries: { scope: 'platform', reason: 'Delivery status of outgoing mail (no bodies).' },
};

/** The folders whose migrations make up the schema: the platform's, then each module's. */
export const MIGRATION_DIRS: readonly (string | URL)[] = [MIGRATIONS_DIR, ...MODULES.flatMap((module) => (module.migrations === undefined ? [] : [module.migrations]))];

/** Every migration, in the order a database applies them. */
export function schemaMigrations(): Migration[] {
  return readMigrations(MIGRATION_DIRS);
}

/** Each table's owner (a module's name, or `platform`) and scope. */
export const TABLE_OWNERS: ReadonlyMap<string, { readonly owner: string; readonly scope: TableScope }> = (() => {
  const owners = new Map<string, { owner: string; scope: TableScope }>();
  const claim = (owner: string, tables: Readonly<Record<string, TableScope>>): void => {
    for (const [table, scope] of Object.entries(tables)) {
      const previous = owners.get(table);
      if (previous !== undefined) throw new Error(`table ${table} is claimed by ${previous.owner} and ${owner}`);
      owners.set(table, { owner, scope });
    }
  };
  claim('platform', PLATFORM_OWNED_TABLES);
  for (const module of MODULES) claim(module.name, module.tables);
  return owners;
})();

/**
 * Tables that hold no tenant's data and so are exempt from row-level security. Every other table
 * must have forced RLS (checked by `parapet doctor` and the isolation tests).
 */
export const PLATFORM_TABLES: ReadonlySet<string> = new Set([...TABLE_OWNERS].filter(([, { scope }]) => scope.scope === 'platform').map(([table]) => table));
