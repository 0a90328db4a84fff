// `parapet secrets …` as an operator runs it: real processes on an embedded database.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import type { DB } from '../../src/database.ts';
import { readKeyring } from '../../src/platform/crypto/keyring.ts';
import { createContextSigner, createTransactor, openDatabase } from '../../src/platform/db/index.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function run(args: string[], env: Record<string, string>, input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** Opens the CLI's database in this process (between commands), as the tenant. */
async function withData<T>(dataDir: string, fn: (transactor: ReturnType<typeof createTransactor<DB>>) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: { PARAPET_DATA_DIR: dataDir } });
  const keyring = readKeyring(config.keyringPath);
  const db = await openDatabase<DB>({ url: undefined, migrationUrl: undefined, dataDir: config.dataDir });
  try {
    return await fn(createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac'))));
  } finally {
    await db.close();
  }
}

describe('parapet secrets (CLI)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-secrets-cli-'));
  const env = { PARAPET_DATA_DIR: dataDir };
  const orgId = crypto.randomUUID();
  const projectId = crypto.randomUUID();
  const envId = crypto.randomUUID();
  const scope = ['--org', orgId, '--env', envId];

  before(async () => {
    const migrated = run(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.err);
    await withData(dataDir, (transactor) =>
      transactor.withTenant(orgId, async (tx) => {
        const now = new Date();
        await tx.insertInto('organizations').values({ id: orgId, name: 'CLI org', created_by: null, created_at: now, updated_at: now }).execute();
        await tx.insertInto('projects').values({ tenant_id: orgId, id: projectId, name: 'p', created_at: now, updated_at: now }).execute();
        await tx.insertInto('environments').values({ tenant_id: orgId, project_id: projectId, id: envId, name: 'production', kind: 'production', created_at: now, updated_at: now }).execute();
      }),
    );
  });

  it('ENC-4: set from stdin and from a file, list and versions without values, get with a reason (audited), delete', async () => {
    const first = run(['secrets', 'set', ...scope, '--name', 'WEBHOOK_TOKEN'], env, 'from-stdin-9d2c\n');
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /WEBHOOK_TOKEN: version 1 stored \(new secret\)/);
    const file = join(dataDir, 'value.txt');
    writeFileSync(file, 'from-file-51ab', { mode: 0o600 });
    assert.equal(run(['secrets', 'set', ...scope, '--name', 'WEBHOOK_TOKEN', '--from-file', file], env).code, 0);

    const list = run(['secrets', 'list', ...scope], env);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^WEBHOOK_TOKEN\tv2\t/m);
    const versions = run(['secrets', 'versions', ...scope, '--name', 'WEBHOOK_TOKEN', '--json'], env);
    assert.deepEqual((JSON.parse(versions.out) as { version: number }[]).map((v) => v.version), [1, 2]);
    for (const output of [list.out, versions.out, first.out]) assert.ok(!output.includes('from-stdin-9d2c') && !output.includes('from-file-51ab'));

    assert.equal(run(['secrets', 'get', ...scope, '--name', 'WEBHOOK_TOKEN'], env).code, 2, 'a read needs a reason');
    const current = run(['secrets', 'get', ...scope, '--name', 'WEBHOOK_TOKEN', '--reason', 'rotate connector'], env);
    assert.equal(current.code, 0, current.err);
    assert.equal(current.out, 'from-file-51ab\n');
    assert.equal(run(['secrets', 'get', ...scope, '--name', 'WEBHOOK_TOKEN', '--version', '1', '--reason', 'compare'], env).out, 'from-stdin-9d2c\n');

    const badName = run(['secrets', 'set', ...scope, '--name', 'bad-name'], env, 'x');
    assert.equal(badName.code, 1);
    assert.match(badName.err, /invalid_secret_name/);
    assert.equal(run(['secrets', 'list', '--org', 'nope', '--env', envId], env).code, 2);

    assert.equal(run(['secrets', 'delete', ...scope, '--name', 'WEBHOOK_TOKEN'], env).code, 0);
    const gone = run(['secrets', 'get', ...scope, '--name', 'WEBHOOK_TOKEN', '--reason', 'after delete'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /not_found/);

    // Every read is on the organization's record, as the CLI operator, with its reason.
    const reads = await withData(dataDir, (transactor) => transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute()));
    const events = reads.map((r) => r.event as { action: string; actor: { type: string }; metadata: { reason?: string; version?: number } });
    const valueReads = events.filter((e) => e.action === 'secret.value_read');
    assert.deepEqual(valueReads.map((e) => [e.actor.type, e.metadata.reason, e.metadata.version]).sort(), [['operator', 'compare', 1], ['operator', 'rotate connector', 2]]);
    assert.ok(events.some((e) => e.action === 'secret.deleted'));
    for (const event of events) assert.ok(!JSON.stringify(event).includes('from-file-51ab') && !JSON.stringify(event).includes('from-stdin-9d2c'));
  });
});
