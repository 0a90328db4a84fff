import { ParapetError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import { randomBytes } from 'node:crypto';
import { migrate, openDatabase, type Database, type Migration, type OwnerSession } from '../db/index.ts';
import { BackupKeyError, type BackupKeys } from './backup-keys.ts';
import { BackupFormatError, dataKeyAad, openBackupFile, type BackupHeader, type OpenedBackup } from './backup-format.ts';
import { tableDigest, walkBackup, type ManifestEntry, type TableMeta } from './backup-records.ts';
import { byteaToBuffer, listTables, migrationTables, MIGRATIONS_TABLE, openWrapped, quoteIdent, readRows, SHREDDED, type TenantKeyRow } from './backup-schema.ts';

/** A restore refused before anything was written, or rolled back. */
export class RestoreError extends ParapetError {
  readonly code = 'restore';
  override readonly name = 'RestoreError';
}

/**
 * The schema a restore of a backup made under `migrations` loads into, built in a throwaway
 * in-memory database (the same migrations restore runs on its target first).
 */
export const migratedSchema: TargetSchema = async (migrations) => {
  const db = await openDatabase<unknown>({ url: 'memory:', migrationUrl: undefined, dataDir: '' });
  try {
    await migrate(db, randomBytes(32), migrations);
    return await db.withOwner((session) => listTables(session, migrationTables(migrations)));
  } finally {
    await db.close();
  }
};

/** Opens a backup and unwraps its data key; a wrong backup key file is refused here. */
async function openWithKey(path: string, keys: BackupKeys): Promise<{ opened: OpenedBackup; dataKey: Buffer }> {
  const opened = await openBackupFile(path);
  try {
    if (opened.header.key.file_id !== keys.id) {
      throw new BackupKeyError(`this backup was made with backup key file ${opened.header.key.file_id}; ${keys.path} is ${keys.id}`);
    }
    const dataKey = keys.unwrapDataKey(Buffer.from(opened.header.key.wrapped_data_key, 'base64'), dataKeyAad(opened.header));
    return { opened, dataKey };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** How a backup's tenant key versions will restore: readable, or destroyed since the backup. */
interface ShredCount {
  kept: number;
  shredded: number;
}

function checkShred(keys: BackupKeys, rows: readonly TenantKeyRow[], count: ShredCount): void {
  for (const row of rows) {
    if (row.wrapped === null) continue;
    const shredKey = keys.shredKey(row.tenant_id, row.version);
    if (shredKey === undefined) {
      count.shredded += 1;
      continue;
    }
    try {
      openWrapped(shredKey, row.tenant_id, row.version, byteaToBuffer(row.wrapped));
    } catch {
      throw new BackupFormatError(`tenant key ${row.tenant_id} v${row.version} does not open with its shred key`);
    }
    count.kept += 1;
  }
}

export interface VerifyReport {
  readonly header: BackupHeader;
  readonly tables: readonly ManifestEntry[];
  readonly tenantKeys: ShredCount;
  /** True when the backup's tables were checked against the schema a restore migrates to. */
  readonly schemaChecked: boolean;
}

/** The tables (with columns) of a database migrated with exactly `migrations`: what a restore loads into. */
export type TargetSchema = (migrations: readonly Migration[]) => Promise<readonly TableMeta[]>;

/**
 * `parapet backup verify` (ENC-5): authenticates the header and every frame, decompresses, and
 * checks each table's row count and SHA-256 against the manifest. With `schema`, it also checks
 * what `restore` will: this Parapet knows the backup's migrations, and the backup holds exactly
 * the tables, with the same columns, of a database migrated to the backup's version. Writes nothing.
 */
export async function verifyBackup(path: string, keys: BackupKeys, options: { schema?: TargetSchema; migrations?: readonly Migration[] } = {}): Promise<VerifyReport> {
  const { opened, dataKey } = await openWithKey(path, keys);
  try {
    const target = options.schema === undefined ? undefined : new Map((await options.schema(migrationsFor(opened.header, options.migrations ?? missingMigrations()))).map((t) => [t.name, t]));
    const seen = new Set<string>();
    const tenantKeys: ShredCount = { kept: 0, shredded: 0 };
    const tables = await walkBackup(opened.frames(dataKey), {
      table: (table) => {
        if (target !== undefined) {
          const expected = target.get(table.name);
          if (expected === undefined) throw new RestoreError(`table ${table.name} in the backup is not in the schema it would restore into (schema ${opened.header.source.migration})`);
          if (expected.columns.join(',') !== table.columns.join(',')) throw new RestoreError(`table ${table.name} in the backup has columns (${table.columns.join(', ')}), the schema it would restore into has (${expected.columns.join(', ')})`);
          seen.add(table.name);
        }
        return Promise.resolve();
      },
      rows: (table, batch) => {
        if (table.name === SHREDDED.table) checkShred(keys, batch.map((line) => JSON.parse(line) as TenantKeyRow), tenantKeys);
        return Promise.resolve();
      },
    });
    const missing = target === undefined ? undefined : [...target.keys()].find((name) => !seen.has(name));
    if (missing !== undefined) throw new RestoreError(`the backup has no table ${missing}, which the schema it would restore into has`);
    return { header: opened.header, tables, tenantKeys, schemaChecked: target !== undefined };
  } finally {
    dataKey.fill(0);
    await opened.close();
  }
}

/** `verifyBackup` against a schema needs the migrations it is built from (src/schema.ts). */
function missingMigrations(): never {
  throw new Error('verifyBackup: pass the migrations the target schema is built from');
}

/** The migrations the backup's rows were written under, which this version of Parapet must know unchanged. */
function migrationsFor(header: BackupHeader, known: readonly Migration[]): Migration[] {
  return header.source.migrations.map((m, i) => {
    const local = known[i];
    if (local?.name !== m.name) throw new RestoreError(`the backup's schema has migration ${m.name}, which this version of Parapet does not have at that place; restore with the version that made the backup (or newer)`);
    if (local.checksum !== m.checksum) throw new RestoreError(`migration ${m.name} differs from the one the backup's database applied`);
    return local;
  });
}

/** Turns off FORCE ROW LEVEL SECURITY on tables that have it, for the owner's load; returns them. */
async function unforce(session: OwnerSession): Promise<string[]> {
  const forced = await session.query<{ name: string }>(`select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relforcerowsecurity order by relname`);
  for (const { name } of forced) await session.exec(`alter table public.${quoteIdent(name)} no force row level security`);
  return forced.map((f) => f.name);
}

async function reforce(session: OwnerSession, names: readonly string[]): Promise<void> {
  for (const name of names) await session.exec(`alter table public.${quoteIdent(name)} force row level security`);
}

/** Refuses a database that holds any row (other than its migrations). Run with RLS not forced. */
async function assertEmpty(session: OwnerSession, owned: ReadonlySet<string>): Promise<void> {
  for (const table of await listTables(session, owned)) {
    const [row] = await session.query<{ any: boolean }>(`select exists (select from public.${quoteIdent(table.name)}) as any`);
    if (row?.any === true) throw new RestoreError(`the target database is not empty (table ${table.name} has rows); restore only into an empty database`);
  }
}

/** Before migrating: the target is empty, and not migrated past the backup. Changes nothing. */
async function checkTarget<DB>(db: Database<DB>, wanted: readonly Migration[]): Promise<void> {
  await db.withOwner(async (session) => {
    const [exists] = await session.query<{ ok: boolean }>(`select to_regclass($1) is not null as ok`, [`public.${MIGRATIONS_TABLE}`]);
    if (exists?.ok !== true) {
      const [tables] = await session.query<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
      if ((tables?.n ?? 0) > 0) throw new RestoreError('the target database has tables but no Parapet migrations; restore only into an empty database');
      return;
    }
    const applied = await session.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE} order by name`);
    const names = new Set(wanted.map((m) => m.name));
    const beyond = applied.find((m) => !names.has(m.name));
    if (beyond !== undefined) throw new RestoreError(`the target database has migration ${beyond.name}, newer than the backup; restore into an empty, unmigrated database`);
    const forced = await unforce(session);
    await assertEmpty(session, migrationTables(wanted));
    await reforce(session, forced);
  });
}

export interface RestoreReport {
  readonly header: BackupHeader;
  readonly tables: readonly ManifestEntry[];
  readonly migrationsApplied: readonly string[];
  readonly tenantKeys: ShredCount;
  readonly sequencesReset: number;
}

/**
 * `parapet backup restore` (DATA-5): into an empty database only. Migrates the target to the
 * backup's schema version, then in ONE owner transaction loads every table (FORCE ROW LEVEL
 * SECURITY lifted for the load and put back before commit), checks each table read back against
 * the manifest's row count and SHA-256, restores tenant keys (those destroyed since the backup
 * stay destroyed), and resets sequences. Any failure rolls the load back.
 */
export async function restoreBackup<DB>(deps: { db: Database<DB>; keys: BackupKeys; keyringId: string; contextKey: Buffer; clock: Clock; path: string; migrations: readonly Migration[] }): Promise<RestoreReport> {
  const { db, keys } = deps;
  const { opened, dataKey } = await openWithKey(deps.path, keys);
  try {
    const { header } = opened;
    if (header.source.keyring_id !== deps.keyringId) {
      throw new RestoreError(`the backup's database used keyring ${header.source.keyring_id}, whose root key wraps its tenant keys; this configuration has keyring ${deps.keyringId}`);
    }
    const wanted = migrationsFor(header, deps.migrations);
    await checkTarget(db, wanted);
    const migrated = await migrate(db, deps.contextKey, wanted);
    const tenantKeys: ShredCount = { kept: 0, shredded: 0 };
    const result = await db.withOwner(async (session) => {
      await session.query(`select set_config('TimeZone', 'UTC', true), set_config('bytea_output', 'hex', true)`);
      const owned = migrationTables(wanted);
      const targets = new Map((await listTables(session, owned)).map((t) => [t.name, t]));
      const forced = await unforce(session);
      await assertEmpty(session, owned);
      const keyRows: TenantKeyRow[] = [];
      const loaded = new Set<string>();
      const tables = await walkBackup(opened.frames(dataKey), {
        table: (table) => {
          const target = targets.get(table.name);
          if (target === undefined || target.columns.join(',') !== table.columns.join(',')) throw new RestoreError(`table ${table.name} in the backup does not match the migrated schema`);
          loaded.add(table.name);
          return Promise.resolve();
        },
        rows: async (table, batch) => {
          if (table.name === SHREDDED.table) keyRows.push(...batch.map((line) => JSON.parse(line) as TenantKeyRow));
          const name = `public.${quoteIdent(table.name)}`;
          const generated = new Set(targets.get(table.name)?.generated ?? []);
          const columns = table.columns.filter((column) => !generated.has(column)).map(quoteIdent).join(', ');
          await session.query(`insert into ${name} (${columns}) select ${columns} from json_populate_recordset(null::${name}, $1::json)`, [`[${batch.join(',')}]`]);
        },
      });
      const missing = [...targets.keys()].find((name) => !loaded.has(name));
      if (missing !== undefined) throw new RestoreError(`the backup has no table ${missing}`);
      await checkLoaded(session, tables, targets);
      await restoreTenantKeys(session, keys, keyRows, deps.clock.now(), tenantKeys);
      const sequencesReset = await resetSequences(session);
      await reforce(session, forced);
      return { tables, sequencesReset };
    });
    return { header, tables: result.tables, migrationsApplied: migrated.applied, tenantKeys, sequencesReset: result.sequencesReset };
  } finally {
    dataKey.fill(0);
    await opened.close();
  }
}

/** Reads every table back and compares its row count and SHA-256 with the manifest. */
async function checkLoaded(session: OwnerSession, tables: readonly ManifestEntry[], targets: ReadonlyMap<string, TableMeta>): Promise<void> {
  for (const expected of tables) {
    const target = targets.get(expected.name);
    if (target === undefined) throw new RestoreError(`table ${expected.name} is missing from the target`);
    const digest = tableDigest(expected.name);
    for await (const batch of readRows(session, target)) for (const line of batch) digest.add(line);
    const actual = digest.done();
    if (actual.rows !== expected.rows || actual.sha256 !== expected.sha256) {
      throw new RestoreError(`table ${expected.name} read back differs from the backup (${actual.rows} rows, expected ${expected.rows})`);
    }
  }
}

/** Unseals each tenant key with its shred key; a version whose shred key is gone is destroyed. */
async function restoreTenantKeys(session: OwnerSession, keys: BackupKeys, rows: readonly TenantKeyRow[], now: Date, count: ShredCount): Promise<void> {
  for (const row of rows) {
    if (row.wrapped === null) continue;
    const shredKey = keys.shredKey(row.tenant_id, row.version);
    const table = `public.${quoteIdent(SHREDDED.table)}`;
    if (shredKey === undefined) {
      // Destroyed after this backup was taken (keys destroy, or the organization's deletion): it stays destroyed.
      await session.query(`update ${table} set state = 'destroyed', wrapped = null, destroyed_at = $3 where tenant_id = $1 and version = $2`, [row.tenant_id, row.version, now]);
      count.shredded += 1;
      continue;
    }
    let wrapped: Buffer;
    try {
      wrapped = openWrapped(shredKey, row.tenant_id, row.version, byteaToBuffer(row.wrapped));
    } catch {
      throw new RestoreError(`tenant key ${row.tenant_id} v${row.version} does not open with its shred key`);
    }
    await session.query(`update ${table} set wrapped = $3 where tenant_id = $1 and version = $2`, [row.tenant_id, row.version, wrapped]);
    count.kept += 1;
  }
}

/** Sets every sequence owned by a public table's column past the restored rows. */
async function resetSequences(session: OwnerSession): Promise<number> {
  const owned = await session.query<{ seq: string; tbl: string; col: string }>(`
    select s.oid::regclass::text as seq, t.relname as tbl, a.attname as col
    from pg_depend d
    join pg_class s on s.oid = d.objid and s.relkind = 'S'
    join pg_class t on t.oid = d.refobjid and t.relnamespace = 'public'::regnamespace
    join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
    where d.deptype in ('a', 'i')`);
  for (const { seq, tbl, col } of owned) {
    await session.query(`select setval($1::regclass, coalesce((select max(${quoteIdent(col)}) from public.${quoteIdent(tbl)}), 0) + 1, false)`, [seq]);
  }
  return owned.length;
}
