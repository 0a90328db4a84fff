// The `parapet` command as a user runs it: a real process on the pinned Node.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServerDatabase, jobsLoginUrl, postgresSkipReason } from '../support/databases.ts';
import { peerSuite } from '../support/peer-suite.ts';

// Decided before any test runs: the spawnSync calls below block the event loop.
const skip = await postgresSkipReason();

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('parapet CLI on embedded PGlite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-cli-'));
  const env = { PARAPET_DATA_DIR: dataDir };

  it('--help lists the commands', () => {
    const { code, out } = run(['--help']);
    assert.equal(code, 0);
    for (const command of ['serve', 'migrate', 'setup-link', 'config check', 'doctor']) assert.ok(out.includes(command), command);
  });

  it('an unknown command exits 2', () => {
    assert.equal(run(['frobnicate']).code, 2);
  });

  it('config check prints the effective config with secrets masked; a bad value stops with the key named', () => {
    const ok = run(['config', 'check'], { ...env, PARAPET_METRICS_TOKEN: 'hunter2-metrics-token' });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /PARAPET_PORT\s+4000/);
    assert.match(ok.out, /PARAPET_METRICS_TOKEN\s+\*{5}/);
    assert.ok(!ok.out.includes('hunter2'));
    const bad = run(['config', 'check'], { ...env, PARAPET_PORT: '99999' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /PARAPET_PORT: "99999" is not allowed/);
  });

  it('migrate creates the keyring and database; doctor then passes', () => {
    const migrated = run(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.err);
    assert.match(migrated.out, /Applied: 0001_context.sql/);
    const doctor = run(['doctor'], env);
    assert.equal(doctor.code, 0, doctor.out + doctor.err);
    assert.match(doctor.out, /OK\s+row-level security/);
    assert.match(doctor.out, /OK\s+key provider/);
    assert.match(doctor.out, /OK\s+row MACs\s+every API key, role binding, custom role, SSO connection, domain verification, live refresh token, TOTP factor, unused recovery code, passkey and live setup link carries a valid MAC/);
    assert.match(doctor.out, /OK\s+root key\s+local: wraps and unwraps under local\/1/);
    // Issue 13 properties 2–4 on PGlite: secrets sealed and keyed; binding and jobs login hold against bugs only.
    assert.match(doctor.out, /OK\s+secrets at rest/);
    assert.match(doctor.out, /WARN\s+context binding/);
    assert.match(doctor.out, /WARN\s+jobs login/);
  });

  it('setup-link prints a one-time link', () => {
    const { code, out } = run(['setup-link'], env);
    assert.equal(code, 0);
    assert.match(out, /^http:\/\/127\.0\.0\.1:4000\/setup#token=[A-Za-z0-9_-]{43}$/m);
  });

  it('DATA-1: retention show lists every data type; retention purge --dry-run and purge report what they remove', () => {
    const shown = run(['retention', 'show'], env);
    assert.equal(shown.code, 0, shown.err);
    for (const type of ['sessions', 'setup_tokens', 'audit', 'security_events', 'deleted_accounts']) assert.match(shown.out, new RegExp(`^${type}\\s+\\d+ days`, 'm'));
    const dry = run(['retention', 'purge', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^dry run: would remove \d+ row\(s\)/m);
    const real = run(['retention', 'purge', '--type', 'sessions', '--json'], env);
    assert.equal(real.code, 0, real.err);
    assert.equal((JSON.parse(real.out) as { type: string }[])[0]?.type, 'sessions');
    assert.equal(run(['retention', 'purge', '--type', 'nope'], env).code, 2);
  });

  it('ENC-2: keys rotate --root adds a root version to the keyring file (still 0600); keys status shows it primary', () => {
    const rotated = run(['keys', 'rotate', '--root'], env);
    assert.equal(rotated.code, 0, rotated.err);
    assert.match(rotated.out, /root key: local\/2 is primary/);
    assert.equal(statSync(join(dataDir, 'keyring.json')).mode & 0o777, 0o600);
    const status = run(['keys', 'status'], env);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /provider: local/);
    assert.match(status.out, /root local\/2 \(primary\)/);
    assert.equal(run(['keys', 'destroy', '--tenant', 'nope'], env).code, 2);
  });

  it('doctor fails (exit 1) when the keyring is readable by others', () => {
    chmodSync(join(dataDir, 'keyring.json'), 0o644);
    const doctor = run(['doctor'], env);
    chmodSync(join(dataDir, 'keyring.json'), 0o600);
    assert.equal(doctor.code, 1);
    assert.match(doctor.out, /FAIL\s+keyring/);
  });

  it('serve starts, answers /readyz, refuses a second process on the same data, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env['PATH'] ?? '', ...env, PARAPET_PORT: '0', PARAPET_LOG_LEVEL: 'warn' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`serve did not start: ${output}`));
        }, 30_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/[^)\s]+)/.exec(output);
          if (match?.[1] !== undefined && /prints a fresh link|Sign in at/.test(output)) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      // `setup-link` ran above in this data folder: its link is still live, so serve says so instead of voiding it.
      assert.match(output, /setup#token=|setup link was already issued/, 'first start prints the setup link or names the live one');
      const ready = await fetch(`${address}/readyz`);
      assert.equal(ready.status, 200);
      const second = run(['migrate'], env);
      assert.equal(second.code, 1);
      assert.match(second.err, /in use by another Parapet process/);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});

peerSuite('parapet doctor on a PostgreSQL server', skip, () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-cli-pg-'));
  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database.drop();
  });

  it('passes with parapet_app for requests and parapet_owner for migrations', () => {
    const env = { PARAPET_DATA_DIR: dataDir, PARAPET_DATABASE_URL: database.app, PARAPET_MIGRATION_DATABASE_URL: database.owner };
    assert.equal(run(['migrate'], env).code, 0);
    const doctor = run(['doctor'], env);
    assert.equal(doctor.code, 0, doctor.out);
    assert.match(doctor.out, /OK\s+database roles\s+parapet_app: not superuser/);
    // TEN-1, issue 13 properties 4–5: the definer functions that still take an id, and the unique
    // indexes without tenant_id, are listed (docs/tenancy.md reviews each); the per-user ones are gone.
    assert.match(doctor.out, /WARN\s+definer functions\s+.*parapet_api_key_tenant/);
    assert.doesNotMatch(doctor.out, /definer functions[^\n]*parapet_user_organizations/);
    // Issue 13, property 5 (migration 0093): every unique index on a tenant table includes tenant_id
    // (tables pinned to the platform tenant and the reviewed global ones aside, docs/tenancy.md).
    assert.match(doctor.out, /OK\s+tenant unique indexes\s+every unique index on a tenant table includes tenant_id/);
    // Issue 13 properties 2, 3 and 4 (without a jobs URL, jobs share the request login: a warning).
    assert.match(doctor.out, /OK\s+secrets at rest/);
    assert.match(doctor.out, /OK\s+context binding/);
    assert.match(doctor.out, /WARN\s+jobs login\s+jobs share the parapet_app login/);
  });

  it('TEN-1: with PARAPET_JOBS_DATABASE_URL the jobs login is recorded and reported; a node without it is told jobs would be refused (issue 13, property 4)', async () => {
    const jobsUrl = await jobsLoginUrl({ urls: { app: database.app } });
    const env = { PARAPET_DATA_DIR: dataDir, PARAPET_DATABASE_URL: database.app, PARAPET_MIGRATION_DATABASE_URL: database.owner, PARAPET_JOBS_DATABASE_URL: jobsUrl };
    const migrated = run(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.err);
    assert.match(migrated.out, /Background jobs list tenants on the parapet_jobs login/);
    const doctor = run(['doctor'], env);
    assert.equal(doctor.code, 0, doctor.out);
    assert.match(doctor.out, /OK\s+jobs login\s+the tenant-listing functions answer only to parapet_jobs/);
    const withoutJobs: Record<string, string> = { ...env };
    delete withoutJobs['PARAPET_JOBS_DATABASE_URL'];
    const mismatched = run(['doctor'], withoutJobs);
    assert.equal(mismatched.code, 1, mismatched.out);
    assert.match(mismatched.out, /FAIL\s+jobs login\s+the tenant-listing functions require parapet_jobs/);
  });

  it('fails when the application logs in as the owner, and warns when one URL serves both', () => {
    const doctor = run(['doctor'], { PARAPET_DATA_DIR: dataDir, PARAPET_DATABASE_URL: database.owner });
    assert.equal(doctor.code, 1);
    assert.match(doctor.out, /FAIL\s+database roles\s+the application logs in as parapet_owner/);
    assert.match(doctor.out, /WARN\s+migration login/);
  });
});
