import { schemaMigrations } from '../schema.ts';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DB } from '../database.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { BackupKeyError, createBackupKeysIfMissing, readBackupKeys } from '../platform/backup/backup-keys.ts';
import { BackupFormatError } from '../platform/backup/backup-format.ts';
import { createBackup } from '../platform/backup/backup-create.ts';
import type { ManifestEntry } from '../platform/backup/backup-records.ts';
import { migratedSchema, restoreBackup, RestoreError, verifyBackup } from '../platform/backup/backup-restore.ts';
import { MigrationError, openDatabase } from '../platform/db/index.ts';
import type { CliContext, Command } from './context.ts';
import { lockEmbeddedData, openOperatorData } from './open-data.ts';

function fileArgument(context: CliContext, usage: string): string | undefined {
  const { positionals } = parseArgs({ args: [...context.args], options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || positionals[0] === undefined || positionals[0] === '') {
    context.err(`usage: ${usage}`);
    return undefined;
  }
  return positionals[0];
}

function printTables(context: CliContext, tables: readonly ManifestEntry[]): void {
  for (const t of tables) context.out(`  ${t.name}: ${t.rows} row(s), sha256 ${t.sha256.slice(0, 16)}…`);
  context.out(`  ${tables.length} table(s), ${tables.reduce((n, t) => n + t.rows, 0)} row(s)`);
}

/** Backup, key and restore failures are reported in one line with exit code 1; anything else is a bug. */
async function reported(context: CliContext, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof BackupFormatError || error instanceof BackupKeyError || error instanceof RestoreError || error instanceof MigrationError) {
      context.err(`${error.name === 'BackupFormatError' ? 'backup damaged or altered' : 'refused'}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** `parapet backup create <file>` (ENC-5, DATA-5): a consistent, compressed, encrypted logical backup. */
export const backupCreate: Command = async (context) => {
  const file = fileArgument(context, 'parapet backup create <file>');
  if (file === undefined) return 2;
  const { config } = context;
  const path = resolve(context.cwd, file);
  const keyring = readKeyring(config.keyringPath);
  // Opened before anything is written, so a command sent on to the running server starts afresh there.
  const { db, close } = await openOperatorData(context, { poolSize: 1, migrationUrl: config.backupDatabaseUrl ?? config.migrationDatabaseUrl });
  try {
    if (createBackupKeysIfMissing(config.backupKeysPath, systemClock.now())) context.out(`created backup key file ${config.backupKeysPath} (mode 0600): keep a copy apart from the backups`);
    const keys = readBackupKeys(config.backupKeysPath);
    return await reported(context, async () => {
      const summary = await createBackup({ db, keys, keyringId: keyring.id, clock: systemClock, path, migrations: schemaMigrations() });
      context.out(`backup ${summary.header.backup_id} written to ${file}: ${summary.header.source.kind}, schema ${summary.header.source.migration}, backup key ${keys.id}`);
      printTables(context, summary.tables);
      for (const name of summary.skipped) context.out(`  skipped table ${name}: not created by Parapet's migrations (restore has no place for it)`);
      return 0;
    });
  } finally {
    await close();
  }
};

/** `parapet backup verify <file>`: authenticates every frame and checks every table's count and hash; writes nothing. */
export const backupVerify: Command = async (context) => {
  const file = fileArgument(context, 'parapet backup verify <file>');
  if (file === undefined) return 2;
  return reported(context, async () => {
    // Checked against the schema a restore migrates to, so a backup restore would refuse fails here.
    const report = await verifyBackup(resolve(context.cwd, file), readBackupKeys(context.config.backupKeysPath), { schema: migratedSchema, migrations: schemaMigrations() });
    const { header } = report;
    context.out(`backup ${header.backup_id} of ${header.created_at}: ${header.source.kind} ${header.source.server_version}, schema ${header.source.migration}, backup key ${header.key.file_id}`);
    printTables(context, report.tables);
    context.out(`  tenant key versions: ${report.tenantKeys.kept} restorable, ${report.tenantKeys.shredded} destroyed since the backup`);
    context.out(`OK: header, every frame and every table hash verified; tables and columns match the schema a restore migrates to (${header.source.migration})`);
    return 0;
  });
};

/** `parapet backup restore <file>`: into an empty database only; verifies counts and hashes before committing. */
export const backupRestore: Command = async (context) => {
  const file = fileArgument(context, 'parapet backup restore <file>');
  if (file === undefined) return 2;
  const { config } = context;
  const lock = lockEmbeddedData(config, context.pid);
  try {
    const keyring = readKeyring(config.keyringPath);
    const keys = readBackupKeys(config.backupKeysPath);
    const db = await openDatabase<DB>({ url: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl, dataDir: config.dataDir, caFile: config.databaseCaFile, poolSize: 1 });
    try {
      return await reported(context, async () => {
        const report = await restoreBackup({ db, keys, keyringId: keyring.id, contextKey: keyring.derive('tenant-context-mac'), clock: systemClock, path: resolve(context.cwd, file), migrations: schemaMigrations() });
        context.out(`restored backup ${report.header.backup_id} of ${report.header.created_at} (schema ${report.header.source.migration}; migrations applied: ${report.migrationsApplied.length})`);
        printTables(context, report.tables);
        context.out(`  tenant key versions: ${report.tenantKeys.kept} restored, ${report.tenantKeys.shredded} destroyed since the backup (kept destroyed); sequences reset: ${report.sequencesReset}`);
        context.out('OK: every table read back matches the backup (row counts and SHA-256)');
        return 0;
      });
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
};
