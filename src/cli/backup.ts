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
import { createContextSigner, createTransactor, MigrationError, openDatabase, type Database } from '../platform/db/index.ts';
import { createAuditRecorder, PLATFORM_TENANT_ID, type AuditActor } from '../modules/audit/index.ts';
import { memberAuthority } from '../modules/audit/index.ts';
import type { Outcome } from '../modules/audit/audit-event.ts';
import type { Keyring } from '../platform/crypto/keyring.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import type { CliContext, Command } from './context.ts';
import { lockEmbeddedData, openOperatorData } from './open-data.ts';

const BACKUP_ACTOR: AuditActor = { type: 'operator', id: null, display_name: 'parapet backup (CLI)' };

/**
 * ENC-5: records a backup, its verification or a test restore in the deployment's platform audit
 * log (tamper-evident), where the trust center's `enc.backup-recency` check reads it. Never the
 * file's path or any key: ids, times and counts.
 */
async function recordBackup(db: Database<DB>, keyring: Keyring, action: 'backup.created' | 'backup.verified' | 'backup.restore_tested', outcome: Outcome, metadata: Record<string, string | number | boolean | null>): Promise<void> {
  const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
  const audit = createAuditRecorder({ clock: systemClock, random: systemRandom, authority: memberAuthority(keyring) });
  await transactor.withTenant(PLATFORM_TENANT_ID, (tx) => audit.record(tx, PLATFORM_TENANT_ID, { action, actor: BACKUP_ACTOR, outcome, metadata }));
}

const rowsOf = (tables: readonly ManifestEntry[]) => tables.reduce((n, t) => n + t.rows, 0);

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
      await recordBackup(db, keyring, 'backup.created', 'success', { backup_id: summary.header.backup_id, backup_created_at: summary.header.created_at, tables: summary.tables.length, rows: rowsOf(summary.tables) });
      context.out('recorded in the platform audit log (backup.created)');
      return 0;
    });
  } finally {
    await close();
  }
};

/**
 * `parapet backup verify <file> [--no-record]`: authenticates every frame and checks every table's
 * count and hash; writes nothing to the backup. The outcome is recorded in the deployment's
 * platform audit log (ENC-5) unless `--no-record` (a copy checked away from the deployment).
 */
export const backupVerify: Command = async (context) => {
  const parsed = parseArgs({ args: [...context.args], options: { 'no-record': { type: 'boolean' } }, allowPositionals: true, strict: true });
  const file = parsed.positionals.length === 1 && parsed.positionals[0] !== '' ? parsed.positionals[0] : undefined;
  if (file === undefined) {
    context.err('usage: parapet backup verify <file> [--no-record]');
    return 2;
  }
  const record = parsed.values['no-record'] !== true;
  // Opened first, so on embedded PGlite held by the server the command goes there and records in its database.
  const data = record ? await openOperatorData(context, { poolSize: 1 }) : undefined;
  try {
    const keyring = record ? readKeyring(context.config.keyringPath) : undefined;
    const done = async (outcome: Outcome, metadata: Record<string, string | number | boolean | null>) => {
      if (data === undefined || keyring === undefined) return;
      await recordBackup(data.db, keyring, 'backup.verified', outcome, metadata);
      context.out(`recorded in the platform audit log (backup.verified, ${outcome})`);
    };
    let code: number;
    try {
      code = await reported(context, async () => {
        // Checked against the schema a restore migrates to, so a backup restore would refuse fails here.
        const report = await verifyBackup(resolve(context.cwd, file), readBackupKeys(context.config.backupKeysPath), { schema: migratedSchema, migrations: schemaMigrations() });
        const { header } = report;
        context.out(`backup ${header.backup_id} of ${header.created_at}: ${header.source.kind} ${header.source.server_version}, schema ${header.source.migration}, backup key ${header.key.file_id}`);
        printTables(context, report.tables);
        context.out(`  tenant key versions: ${report.tenantKeys.kept} restorable, ${report.tenantKeys.shredded} destroyed since the backup`);
        context.out(`OK: header, every frame and every table hash verified; tables and columns match the schema a restore migrates to (${header.source.migration})`);
        await done('success', { backup_id: header.backup_id, backup_created_at: header.created_at, tables: report.tables.length, rows: rowsOf(report.tables) });
        return 0;
      });
    } catch (error) {
      await done('failure', { reason: 'error' });
      throw error;
    }
    if (code !== 0) await done('failure', { reason: 'damaged_or_refused' });
    return code;
  } finally {
    await data?.close();
  }
};

/**
 * `parapet backup test-restore <file> [--into <url>]` (ENC-5): the full restore — migrate, load,
 * every table read back against the backup's counts and hashes, tenant keys — into a throwaway
 * database (an in-memory PGlite, or the empty PostgreSQL database `--into` names), which is then
 * dropped from memory or left for the operator to discard. The outcome is recorded in the
 * deployment's platform audit log.
 */
export const backupTestRestore: Command = async (context) => {
  const parsed = parseArgs({ args: [...context.args], options: { into: { type: 'string' } }, allowPositionals: true, strict: true });
  const file = parsed.positionals.length === 1 && parsed.positionals[0] !== '' ? parsed.positionals[0] : undefined;
  const into = parsed.values.into;
  if (file === undefined || (into !== undefined && !/^postgres(ql)?:\/\//.test(into))) {
    context.err('usage: parapet backup test-restore <file> [--into postgres://…/scratch]');
    return 2;
  }
  const { config } = context;
  if (into !== undefined && (into === config.databaseUrl || into === config.migrationDatabaseUrl)) {
    context.err('refused: --into names the deployment\'s own database; give an empty scratch database');
    return 2;
  }
  const { db, close } = await openOperatorData(context, { poolSize: 1 });
  try {
    const keyring = readKeyring(config.keyringPath);
    const target = into === undefined ? 'memory' : 'postgres';
    let code: number;
    try {
      code = await reported(context, async () => {
        const keys = readBackupKeys(config.backupKeysPath);
        const scratch = await openDatabase<DB>({ url: into ?? 'memory:', migrationUrl: undefined, dataDir: '', caFile: config.databaseCaFile, poolSize: 1 });
        try {
          const report = await restoreBackup({ db: scratch, keys, keyringId: keyring.id, contextKey: keyring.derive('tenant-context-mac'), clock: systemClock, path: resolve(context.cwd, file), migrations: schemaMigrations() });
          context.out(`test restore of backup ${report.header.backup_id} of ${report.header.created_at} into ${into === undefined ? 'a throwaway in-memory database' : 'the scratch database'} (schema ${report.header.source.migration})`);
          printTables(context, report.tables);
          context.out('OK: every table read back matches the backup (row counts and SHA-256)');
          await recordBackup(db, keyring, 'backup.restore_tested', 'success', { backup_id: report.header.backup_id, backup_created_at: report.header.created_at, target, tables: report.tables.length, rows: rowsOf(report.tables) });
          context.out('recorded in the platform audit log (backup.restore_tested)');
          return 0;
        } finally {
          await scratch.close();
        }
      });
    } catch (error) {
      await recordBackup(db, keyring, 'backup.restore_tested', 'failure', { target, reason: 'error' });
      throw error;
    }
    if (code !== 0) await recordBackup(db, keyring, 'backup.restore_tested', 'failure', { target, reason: 'damaged_or_refused' });
    return code;
  } finally {
    await close();
  }
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
