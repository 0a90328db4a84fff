import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Migration, OwnerSession } from '../db/index.ts';
import type { TableMeta } from './backup-records.ts';

/** The migrations table is described by the header, not copied: the target's own migrations fill it. */
export const MIGRATIONS_TABLE = 'parapet_migrations';

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * The tables of schema `public` that `migrations` create, following renames and drops: what a
 * backup holds. Anything else in `public` (a DBA's scratch table, an extension's table) is not
 * Parapet's and would not restore into a freshly migrated database, so backups leave it out.
 */
export function migrationTables(migrations: readonly Pick<Migration, 'sql'>[]): ReadonlySet<string> {
  const tables = new Set<string>();
  const ident = String.raw`(?:public\.)?"?([a-z_][a-z0-9_$]*)"?`;
  const statement = new RegExp(
    String.raw`create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?${ident}|drop\s+table\s+(?:if\s+exists\s+)?${ident}|alter\s+table\s+(?:if\s+exists\s+)?${ident}\s+rename\s+to\s+"?([a-z_][a-z0-9_$]*)"?`,
    'gi',
  );
  for (const { sql } of migrations) {
    // Comments could name tables that are not created; strip them first.
    const code = sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const match of code.matchAll(statement)) {
      const [, created, dropped, renamedFrom, renamedTo] = match;
      // A schema other than public (parapet_private.context_key) does not match `ident`'s optional
      // `public.` and is caught here by the dot that follows the schema name.
      const at = match.index + match[0].length;
      if (code[at] === '.') continue;
      if (created !== undefined) tables.add(created.toLowerCase());
      if (dropped !== undefined) tables.delete(dropped.toLowerCase());
      if (renamedFrom !== undefined && renamedTo !== undefined && tables.delete(renamedFrom.toLowerCase())) tables.add(renamedTo.toLowerCase());
    }
  }
  tables.delete(MIGRATIONS_TABLE);
  return tables;
}

/** Base tables of schema `public` that are not among `owned` (what a backup skips). */
export async function foreignTables(session: OwnerSession, owned: ReadonlySet<string>): Promise<string[]> {
  const tables = await session.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> $1 order by table_name`, [MIGRATIONS_TABLE]);
  return tables.map((t) => t.name).filter((name) => !owned.has(name));
}

/**
 * The base tables of schema `public` named in `owned` (the migrations' tables), with their columns
 * and primary key, parents before children so rows load without deferring foreign keys.
 * `parapet_private` holds only the tenant-context key pads, which migrations derive from the
 * keyring, so it is not backed up.
 */
export async function listTables(session: OwnerSession, owned: ReadonlySet<string>): Promise<TableMeta[]> {
  const tables = (await session.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> $1 order by table_name`, [MIGRATIONS_TABLE])).filter((t) => owned.has(t.name));
  const columns = await session.query<{ t: string; c: string; generated: boolean }>(`select table_name as t, column_name as c, is_generated = 'ALWAYS' as generated from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`);
  // Primary-key columns in key order; collatable ones sort with COLLATE "C" so row order (and so
  // each table's hash) is the same on servers with different default collations.
  const keys = await session.query<{ t: string; c: string; collatable: boolean }>(`
    select c.relname as t, a.attname as c, a.attcollation <> 0 as collatable
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
    where i.indisprimary and c.relnamespace = 'public'::regnamespace
    order by c.relname, array_position(i.indkey::int2[], a.attnum)`);
  const edges = await session.query<{ child: string; parent: string }>(`
    select c.relname as child, p.relname as parent
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    where k.contype = 'f' and k.connamespace = 'public'::regnamespace and c.oid <> p.oid`);
  const metas = new Map<string, TableMeta>();
  for (const { name } of tables) {
    const key = keys.filter((k) => k.t === name);
    const own = columns.filter((c) => c.t === name);
    const generated = own.filter((c) => c.generated).map((c) => c.c);
    metas.set(name, { name, columns: own.map((c) => c.c), primary_key: key.map((k) => k.c), order_c_collated: key.filter((k) => k.collatable).map((k) => k.c), ...(generated.length === 0 ? {} : { generated }) });
  }
  // Kahn's algorithm, alphabetical among the ready tables, so the order is stable.
  const ordered: TableMeta[] = [];
  const remaining = new Set(metas.keys());
  while (remaining.size > 0) {
    const ready = [...remaining].filter((name) => !edges.some((e) => e.child === name && remaining.has(e.parent))).sort();
    const next = ready[0] ?? [...remaining].sort()[0];
    if (next === undefined) break;
    remaining.delete(next);
    const meta = metas.get(next);
    if (meta !== undefined) ordered.push(meta);
  }
  return ordered;
}

/** The statement reading one table's rows in the backup's row form, in primary-key order. */
export function rowsQuery(table: TableMeta): string {
  const collated = new Set(table.order_c_collated ?? []);
  const order = table.primary_key.length > 0 ? table.primary_key.map((c) => (collated.has(c) ? `${quoteIdent(c)} collate "C"` : quoteIdent(c))).join(', ') : 'to_json(t)::text collate "C"';
  return `select to_json(t)::text as r from public.${quoteIdent(table.name)} as t order by ${order}`;
}

/** Reads a table's rows in batches through a cursor, inside the caller's transaction. */
export async function* readRows(session: OwnerSession, table: TableMeta, batch = 1000): AsyncGenerator<string[]> {
  await session.query(`declare parapet_backup_rows no scroll cursor for ${rowsQuery(table)}`);
  try {
    for (;;) {
      const rows = await session.query<{ r: string }>(`fetch forward ${batch} from parapet_backup_rows`);
      if (rows.length === 0) return;
      yield rows.map((row) => row.r);
    }
  } finally {
    await session.query('close parapet_backup_rows');
  }
}

/**
 * Tenant keys inside a backup (ENC-5 with DATA-3). `tenant_keys.wrapped` (the tenant key as the
 * key provider wrapped it) is sealed once more, under a shred key of that tenant key version kept
 * in the backup key file. `keys destroy` deletes the shred key, so a backup taken earlier cannot
 * give the destroyed version back: restore marks it destroyed.
 */
export const SHREDDED = { table: 'tenant_keys', column: 'wrapped' } as const;

const shredAad = (tenantId: string, version: number) => Buffer.from(JSON.stringify(['parapet-backup-shred/1', tenantId.toLowerCase(), version]), 'utf8');

export function sealWrapped(shredKey: Buffer, tenantId: string, version: number, wrapped: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', shredKey, nonce);
  cipher.setAAD(shredAad(tenantId, version));
  return Buffer.concat([nonce, cipher.update(wrapped), cipher.final(), cipher.getAuthTag()]);
}

/** Throws when the sealed value was not made with this shred key for this tenant key version. */
export function openWrapped(shredKey: Buffer, tenantId: string, version: number, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', shredKey, sealed.subarray(0, 12));
  decipher.setAAD(shredAad(tenantId, version));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

/** `\x…` (PostgreSQL's bytea hex text) ⇄ bytes. */
export const byteaToBuffer = (text: string): Buffer => Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
export const bufferToBytea = (bytes: Buffer): string => `\\x${bytes.toString('hex')}`;

/** A tenant_keys row as far as the backup needs it. */
export interface TenantKeyRow {
  tenant_id: string;
  version: number;
  state: string;
  wrapped: string | null;
  destroyed_at?: string | null;
}
