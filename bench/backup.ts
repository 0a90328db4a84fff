// Benchmark: backups (ENC-5, DATA-5; docs/benchmarks.md "Backups").
import { schemaMigrations } from '../src/schema.ts';
//
// `createBackup` (one snapshot, JSON lines, gzip, AES-256-GCM frames, per-table SHA-256) against
// a plain dump of the same rows in the same run: the same snapshot and cursor reads, gzip, no
// encryption and no hashes. `restoreBackup` (migrate, decrypt, load, read every table back and
// compare hashes) against loading that plain dump (migrate, gunzip, the same batched
// json_populate_recordset inserts, no checks). Each round restores into a fresh in-memory PGlite.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import type { DB } from '../src/database.ts';
import { createBackup } from '../src/platform/backup/backup-create.ts';
import { createBackupKeysIfMissing, readBackupKeys } from '../src/platform/backup/backup-keys.ts';
import { tableRecord, type TableMeta } from '../src/platform/backup/backup-records.ts';
import { restoreBackup } from '../src/platform/backup/backup-restore.ts';
import { listTables, migrationTables, quoteIdent, readRows } from '../src/platform/backup/backup-schema.ts';
import { systemClock } from '../src/platform/clock.ts';
import { migrate, openPglite, readMigrations, type Database } from '../src/platform/db/index.ts';
import { BENCH_CONTEXT_KEY, BENCH_KEYRING, openBenchDatabase } from './databases.ts';
import { formatRate, formatRatio, median, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 5, tenants: 50, projectsPerTenant: 200 };

/** The baseline dump: same snapshot and reads, gzip only. */
async function plainDump(db: Database<DB>, path: string): Promise<number> {
  return db.withOwner(async (session) => {
    await session.query('set transaction isolation level repeatable read, read only');
    await session.query(`select set_config('TimeZone', 'UTC', true)`);
    const gzip = createGzip({ level: 6 });
    const written = pipeline(gzip, createWriteStream(path, { mode: 0o600 }));
    let rows = 0;
    const write = async (line: string) => {
      if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
    };
    for (const meta of await listTables(session, migrationTables(readMigrations()))) {
      await write(tableRecord(meta));
      for await (const batch of readRows(session, meta)) {
        for (const line of batch) await write(line);
        rows += batch.length;
      }
    }
    gzip.end();
    await written;
    return rows;
  });
}

/** The baseline load: migrate, then the same batched inserts, no decryption and no checks. */
async function plainLoad(db: Database<DB>, path: string): Promise<void> {
  await migrate(db, BENCH_CONTEXT_KEY, schemaMigrations());
  await db.withOwner(async (session) => {
    let current: TableMeta | undefined;
    let batch: string[] = [];
    const flush = async () => {
      if (current === undefined || batch.length === 0) return;
      const name = `public.${quoteIdent(current.name)}`;
      await session.query(`insert into ${name} select * from json_populate_recordset(null::${name}, $1::json)`, [`[${batch.join(',')}]`]);
      batch = [];
    };
    for await (const line of createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity })) {
      if (line.startsWith('{')) {
        batch.push(line);
        if (batch.length >= 500) await flush();
        continue;
      }
      await flush();
      current = (JSON.parse(line) as ['table', TableMeta])[1];
    }
    await flush();
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

export const backup: Benchmark = {
  name: 'backup',
  description: 'backup create/restore (gzip + AES-256-GCM + hashes) vs a plain gzip dump/load of the same rows',
  onlyWhenNamed: true,
  run: async (out) => {
    const dir = mkdtempSync(join(tmpdir(), 'parapet-bench-backup-'));
    const bench = await openBenchDatabase('pglite', { tenants: SETTINGS.tenants, projectsPerTenant: SETTINGS.projectsPerTenant });
    try {
      const keysPath = join(dir, 'backup-keys.json');
      createBackupKeysIfMissing(keysPath, new Date());
      const keys = readBackupKeys(keysPath);
      const plainPath = join(dir, 'plain.jsonl.gz');
      const backupPath = join(dir, 'parapet.backup');
      const rows = await plainDump(bench.db, plainPath);
      out(`${rows.toLocaleString('en-US')} rows in ${SETTINGS.tenants} organizations`);
      const results = { dump: [] as number[], create: [] as number[], load: [] as number[], restore: [] as number[] };
      for (let round = 0; round < SETTINGS.rounds; round++) {
        results.dump.push(rows / (await timed(() => plainDump(bench.db, plainPath))));
        results.create.push(rows / (await timed(() => createBackup({ db: bench.db, keys, keyringId: BENCH_KEYRING.id, clock: systemClock, path: backupPath, migrations: schemaMigrations() }))));
        const plainTarget = openPglite<DB>(await PGlite.create());
        const backupTarget = openPglite<DB>(await PGlite.create());
        try {
          results.load.push(rows / (await timed(() => plainLoad(plainTarget, plainPath))));
          results.restore.push(rows / (await timed(() => restoreBackup({ db: backupTarget, keys, keyringId: BENCH_KEYRING.id, contextKey: BENCH_CONTEXT_KEY, clock: systemClock, path: backupPath, migrations: schemaMigrations() }))));
        } finally {
          await plainTarget.close();
          await backupTarget.close();
        }
      }
      const ratios = (subject: number[], baseline: number[]) => subject.map((v, i) => v / (baseline[i] ?? v));
      for (const line of table(
        ['step', 'plain gzip (rows/s)', 'Parapet backup (rows/s)', 'ratio'],
        [
          ['create', formatRate(median(results.dump)), formatRate(median(results.create)), formatRatio(ratios(results.create, results.dump))],
          ['restore', formatRate(median(results.load)), formatRate(median(results.restore)), formatRatio(ratios(results.restore, results.load))],
        ],
      )) out(line);
      out(`file size: plain ${statSync(plainPath).size.toLocaleString('en-US')} B, encrypted ${statSync(backupPath).size.toLocaleString('en-US')} B`);
      const verdicts: Verdict[] = [
        { measure: 'backup create vs plain gzip dump', value: formatRatio(ratios(results.create, results.dump)), target: '(none; reported)', met: undefined },
        { measure: 'backup restore vs plain gzip load', value: formatRatio(ratios(results.restore, results.load)), target: '(none; reported)', met: undefined },
      ];
      return verdicts;
    } finally {
      await bench.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
