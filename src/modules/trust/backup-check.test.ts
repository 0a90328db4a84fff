// ENC-5 in the trust center (issue 20): `parapet backup create`, `verify` and `test-restore` record
// each backup, its verification and each test restore in the deployment's platform audit log, and
// the live check `enc.backup-recency` reads that record: it passes after a real backup, verified and
// restored into a throwaway database, and fails (its control red on the public page) once the newest
// verified backup or the last test restore is older than the configured age. PGlite and PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { cliContext } from '../../../test/support/cli-context.ts';
import { createServerDatabase, TEST_DB_KIND } from '../../../test/support/databases.ts';
import { backupCreate, backupTestRestore, backupVerify } from '../../cli/backup.ts';
import type { CliContext } from '../../cli/context.ts';
import { loadConfig } from '../../config/index.ts';
import { bypassing } from '../../platform/backup/backup-test-fixture.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import type { Database } from '../../platform/db/index.ts';
import type { DB } from '../../database.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { PLATFORM_TENANT_ID } from '../audit/index.ts';
import { createCheckRunner } from './check-runner.ts';
import { backupCheck } from './checks/backup-check.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('ENC-5: backups, their verification and test restores recorded and checked live', () => {
  let t: TestApp;
  let source: { db: Database<DB>; close(): Promise<void> };
  const dir = mkdtempSync(join(tmpdir(), 'parapet-enc5-'));
  const file = join(dir, 'nightly.backup');
  const lines: string[] = [];
  let now = new Date();
  const clock = { now: () => now };

  /** A command as the operator runs it against this deployment (attached to its database). */
  const command = (args: readonly string[], db?: Database<DB>): CliContext => {
    const config = loadConfig({ env: { PARAPET_DATA_DIR: dir, PARAPET_KEYRING: join(dir, 'keyring.json'), PARAPET_BACKUP_KEYS: join(dir, 'backup-keys.json') } });
    const logger = createLogger('warn', new Writable({ write: (_c, _e, cb) => { cb(); } }));
    return { ...cliContext(config, logger, lines, args), cwd: dir, attached: { db: db ?? t.database.db, issueSetupLink: () => Promise.resolve(undefined) } };
  };
  const check = () => backupCheck({ transactor: t.transactor, clock, maxBackupAgeHours: 48, maxRestoreAgeDays: 92 });
  const drain = () => t.app.services.audit.sequencer.drain();
  const recorded = async (action: string) =>
    (await t.transactor.withTenant(PLATFORM_TENANT_ID, (tx) => tx.selectFrom('audit_events').select(['outcome', 'canonical']).where('tenant_id', '=', PLATFORM_TENANT_ID).where('action', '=', action).orderBy('seq').execute())).map((r) => ({
      outcome: r.outcome,
      text: Buffer.from(r.canonical).toString('utf8'),
    }));

  before(async () => {
    t = await createTestApp();
    // The operator's keyring file: the same root as the test database's (its tenant contexts are signed with it).
    writeFileSync(join(dir, 'keyring.json'), JSON.stringify({ format: 'parapet-keyring/1', id: 'test-keyring', createdAt: new Date(0).toISOString(), root: Buffer.alloc(32, 7).toString('base64') }), { mode: 0o600 });
    source = await bypassing(t.database);
  });
  after(async () => {
    await source.close();
    await t.close();
  });

  it('ENC-5 with no backup recorded the check fails', async () => {
    const result = await check().run();
    assert.equal(result.status, 'fail');
    assert.match(result.statement, /no verified backup is recorded; no test restore is recorded/);
  });

  it('ENC-5 create, verify and test-restore a real backup record it; the check passes, and fails once either is past its age', async () => {
    assert.equal(await backupCreate(command([file], source.db)), 0, lines.join('\n'));
    assert.equal(await backupVerify(command([file])), 0, lines.join('\n'));
    assert.equal(await backupTestRestore(command([file])), 0, lines.join('\n'));
    assert.ok(lines.some((l) => /OK: every table read back matches the backup/.test(l)));
    if (TEST_DB_KIND === 'postgres') {
      // Into an empty scratch database on the server, as its owner.
      const scratch = await createServerDatabase();
      try {
        assert.equal(await backupTestRestore(command([file, '--into', scratch.owner])), 0, lines.join('\n'));
      } finally {
        await scratch.drop();
      }
    }
    await drain();
    const created = await recorded('backup.created');
    const verified = await recorded('backup.verified');
    const restored = await recorded('backup.restore_tested');
    assert.equal(created.length, 1);
    assert.deepEqual(verified.map((v) => v.outcome), ['success']);
    assert.deepEqual(restored.map((v) => v.outcome), TEST_DB_KIND === 'postgres' ? ['success', 'success'] : ['success']);
    const backupId = /"backup_id":"([0-9a-f-]+)"/.exec(created[0]?.text ?? '')?.[1];
    assert.ok(backupId !== undefined);
    for (const event of [...verified, ...restored]) {
      assert.ok(event.text.includes(backupId), 'every record names the backup');
      assert.ok(!event.text.includes(dir), 'no file path in the record');
    }

    now = new Date();
    const healthy = await check().run();
    assert.equal(healthy.status, 'pass', healthy.statement);
    assert.match(healthy.statement, /newest verified backup is 0 hour\(s\) old; the last test restore/);

    // No newer verified backup for 49 hours: the control turns red on the public page.
    now = new Date(Date.now() + 49 * HOUR);
    const runner = createCheckRunner({ transactor: t.transactor, clock, random: systemRandom, logger: { error: () => undefined, info: () => undefined }, audit: t.app.services.audit.recorder, alerts: t.app.services.alerts, alertOrganization: undefined, checks: [check()], onResults: t.app.modules.trust.center.invalidate });
    const [row] = await runner.runAll();
    assert.equal(row?.status, 'fail');
    assert.match(row?.statement ?? '', /the newest verified backup is 49 hours old, past 48 hours/);
    const page = await t.inject({ method: 'GET', url: '/trust/controls' });
    assert.match(page.body, /<li id="ENC-5"><p><strong>ENC-5<\/strong>[^<]*<span class="state state-failing">Failing<\/span>/);

    // A test restore more than 92 days ago fails too, even with a fresh verified backup.
    now = new Date(Date.now() + 93 * DAY);
    const stale = await check().run();
    assert.equal(stale.status, 'fail');
    assert.match(stale.statement, /the last test restore is 93 days old, past 92 days/);
  });

  it('ENC-5 a damaged backup fails verification and test restore, and both failures are recorded (the check keeps reading the last success)', async () => {
    const damaged = Buffer.from(readFileSync(file));
    damaged[damaged.length - 20] = damaged[damaged.length - 20]! ^ 0xff;
    const bad = join(dir, 'damaged.backup');
    writeFileSync(bad, damaged);
    assert.equal(await backupVerify(command([bad])), 1);
    assert.equal(await backupTestRestore(command([bad])), 1);
    await drain();
    assert.equal((await recorded('backup.verified')).at(-1)?.outcome, 'failure');
    assert.equal((await recorded('backup.restore_tested')).at(-1)?.outcome, 'failure');
    now = new Date();
    assert.equal((await check().run()).status, 'pass');
    // Verified away from the deployment, nothing is recorded.
    const before = (await recorded('backup.verified')).length;
    assert.equal(await backupVerify(command([file, '--no-record'])), 0);
    await drain();
    assert.equal((await recorded('backup.verified')).length, before);
  });
});
