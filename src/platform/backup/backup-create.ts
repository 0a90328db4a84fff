import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Clock } from '../clock.ts';
import { type Database, type Migration, type OwnerSession } from '../db/index.ts';
import type { BackupKeys } from './backup-keys.ts';
import { BACKUP_FORMAT, dataKeyAad, FRAME_BYTES, frameEncryptor, headerBytes, type BackupHeader } from './backup-format.ts';
import { manifestRecord, tableDigest, tableRecord, type ManifestEntry, type TableMeta } from './backup-records.ts';
import { bufferToBytea, byteaToBuffer, foreignTables, listTables, migrationTables, MIGRATIONS_TABLE, readRows, sealWrapped, SHREDDED, type TenantKeyRow } from './backup-schema.ts';

export interface BackupSummary {
  readonly header: BackupHeader;
  readonly tables: readonly ManifestEntry[];
  /** Tables of schema `public` that no migration creates, left out of the backup. */
  readonly skipped: readonly string[];
}

/**
 * Starts the one snapshot a backup reads (DATA-5): REPEATABLE READ, read only, so every table is
 * read as of the same moment while writers carry on. Row security is off for the reader: a role
 * that does not bypass it gets an error rather than a silently partial backup.
 */
async function startSnapshot(session: OwnerSession): Promise<void> {
  await session.query('set transaction isolation level repeatable read, read only');
  await session.query(`select set_config('TimeZone', 'UTC', true), set_config('row_security', 'off', true), set_config('bytea_output', 'hex', true)`);
}

/** Seals each tenant key's wrapped form under its shred key (created in the backup key file if new). */
function shredRows(keys: BackupKeys, lines: readonly string[]): string[] {
  const rows = lines.map((line) => JSON.parse(line) as TenantKeyRow);
  keys.ensureShredKeys(rows.filter((r) => r.wrapped !== null).map((r) => ({ tenantId: r.tenant_id, version: r.version })));
  return rows.map((row) => {
    if (row.wrapped === null) return JSON.stringify(row);
    const shredKey = keys.shredKey(row.tenant_id, row.version);
    if (shredKey === undefined) throw new Error('shred key missing right after it was created');
    return JSON.stringify({ ...row, wrapped: bufferToBytea(sealWrapped(shredKey, row.tenant_id, row.version, byteaToBuffer(row.wrapped))) });
  });
}

/**
 * `parapet backup create` (ENC-5, DATA-5): one consistent snapshot of every table, as JSON lines,
 * gzip-compressed, encrypted in authenticated frames under a fresh data key that the backup key
 * file's root key wraps. Written to a temporary file (mode 0600) and renamed into place, so
 * `path` only ever holds a complete backup.
 */
export async function createBackup<DB>(deps: { db: Database<DB>; keys: BackupKeys; keyringId: string; clock: Clock; path: string; frameBytes?: number; migrations: readonly Migration[] }): Promise<BackupSummary> {
  const { db, keys, clock, path } = deps;
  const temp = `${path}.${process.pid}.partial`;
  const dataKey = randomBytes(32);
  try {
    const summary = await db.withOwner(async (session) => {
      await startSnapshot(session);
      const migrations = await session.query<{ name: string; checksum: string }>(`select name, checksum from ${MIGRATIONS_TABLE} order by name`);
      const last = migrations.at(-1);
      if (last === undefined) throw new Error('the database has no migrations applied: nothing to back up');
      // Only the migrations' own tables: restore refuses anything else, since a freshly migrated
      // database has no place for it.
      const known = new Map(deps.migrations.map((m) => [m.name, m]));
      const owned = migrationTables(migrations.map((m) => known.get(m.name) ?? unknownMigration(m.name)));
      const [version] = await session.query<{ v: string }>('select current_setting($1) as v', ['server_version']);
      const base = { backup_id: randomUUID(), created_at: clock.now().toISOString(), key: { file_id: keys.id } };
      const header: BackupHeader = {
        format: BACKUP_FORMAT,
        backup_id: base.backup_id,
        created_at: base.created_at,
        source: { kind: db.kind, server_version: version?.v ?? 'unknown', keyring_id: deps.keyringId, migration: last.name, migrations },
        key: { file_id: keys.id, purpose: 'backup-wrapping', cipher: 'aes-256-gcm', wrapped_data_key: keys.wrapDataKey(dataKey, dataKeyAad(base)).toString('base64') },
        compression: 'gzip',
        frame_bytes: deps.frameBytes ?? FRAME_BYTES,
      };
      const head = headerBytes(header);
      const file = createWriteStream(temp, { mode: 0o600, flags: 'wx' });
      await once(file, 'open');
      file.write(head);
      const gzip = createGzip({ level: 6 });
      const written = pipeline(gzip, frameEncryptor(dataKey, head, header.frame_bytes), file);
      // A failure downstream (disk full) must stop the reader, not leave it waiting on 'drain'.
      let failed: Error | undefined;
      written.catch((error: unknown) => {
        failed = error instanceof Error ? error : new Error(String(error));
      });
      const write = async (line: string) => {
        if (failed !== undefined) throw failed;
        if (!gzip.write(`${line}\n`)) await Promise.race([once(gzip, 'drain'), written]);
      };
      const tables: ManifestEntry[] = [];
      const skipped = await foreignTables(session, owned);
      for (const table of await listTables(session, owned)) {
        await write(tableRecord(table));
        tables.push(await copyTable(session, keys, table, write));
      }
      await write(manifestRecord(tables));
      gzip.end();
      await written;
      return { header, tables, skipped };
    });
    await rename(temp, path);
    return summary;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    dataKey.fill(0);
  }
}

function unknownMigration(name: string): never {
  throw new Error(`the database has migration ${name}, which this version of Parapet does not know; back it up with the version that migrated it`);
}

async function copyTable(session: OwnerSession, keys: BackupKeys, table: TableMeta, write: (line: string) => Promise<void>): Promise<ManifestEntry> {
  const digest = tableDigest(table.name);
  for await (const batch of readRows(session, table)) {
    const lines = table.name === SHREDDED.table ? shredRows(keys, batch) : batch;
    for (const line of lines) {
      digest.add(line);
      await write(line);
    }
  }
  return digest.done();
}
