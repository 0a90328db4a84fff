// `parapet members …` as an operator runs it: real processes on an embedded database.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import type { DB } from '../../src/database.ts';
import { grantCreator } from '../../src/modules/access/access-store.ts';
import { createRowIntegrity, insertUser, type RowIntegrity } from '../../src/modules/identity/index.ts';
import { readKeyring } from '../../src/platform/crypto/keyring.ts';
import { createContextSigner, createTransactor, openDatabase } from '../../src/platform/db/index.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'parapet.js');

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** Opens the CLI's database in this process (between commands). */
async function withData<T>(dataDir: string, fn: (transactor: ReturnType<typeof createTransactor<DB>>, integrity: RowIntegrity) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: { PARAPET_DATA_DIR: dataDir } });
  const keyring = readKeyring(config.keyringPath);
  const db = await openDatabase<DB>({ url: undefined, migrationUrl: undefined, dataDir: config.dataDir });
  try {
    return await fn(createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac'))), createRowIntegrity(keyring.derive('row-integrity')));
  } finally {
    await db.close();
  }
}

describe('parapet members (CLI)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parapet-members-cli-'));
  const env = { PARAPET_DATA_DIR: dataDir };
  const orgId = crypto.randomUUID();
  const admin = crypto.randomUUID();
  const member = crypto.randomUUID();

  before(async () => {
    const migrated = run(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.err);
    await withData(dataDir, async (transactor, integrity) => {
      const now = new Date();
      for (const [id, email] of [[admin, 'admin@example.com'], [member, 'member@example.com']] as const) {
        await transactor.withPlatform((tx) => insertUser(tx, { id, email, displayName: email.split('@')[0] ?? email, passwordHash: 'x', isPlatformAdmin: false, now }, integrity));
      }
      await transactor.withTenant(orgId, async (tx) => {
        await tx.insertInto('organizations').values({ id: orgId, name: 'CLI org', created_by: admin, created_at: now, updated_at: now }).execute();
        await tx.insertInto('memberships').values([{ tenant_id: orgId, user_id: admin, role: 'owner', created_at: now }, { tenant_id: orgId, user_id: member, role: 'member', created_at: now }]).execute();
        await grantCreator(tx, integrity, orgId, admin, now, crypto.randomUUID());
      });
    });
  });

  it('AC-1: list shows members with roles; remove takes a member out and is audited; the last Tenant Admin is refused', async () => {
    const listed = run(['members', 'list', '--org', orgId], env);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${admin}\\tadmin@example.com\\ttenant_admin\\tmfa=no\\tnever`));
    assert.match(listed.out, new RegExp(`${member}\\tmember@example.com\\t-`));

    const removed = run(['members', 'remove', '--org', orgId, '--user', member], env);
    assert.equal(removed.code, 0, removed.err);
    assert.match(removed.out, /0 binding\(s\) and 0 session\(s\) ended, 0 API key\(s\) suspended/);
    assert.ok(!run(['members', 'list', '--org', orgId, '--json'], env).out.includes(member));

    const last = run(['members', 'remove', '--org', orgId, '--user', admin], env);
    assert.equal(last.code, 1);
    assert.match(last.err, /^conflict: This is the last Tenant Admin binding/);
    assert.equal(run(['members', 'remove', '--org', orgId, '--user', member], env).code, 1, 'not a member any more');
    assert.equal(run(['members', 'remove', '--org', orgId], env).code, 2, 'usage');

    const events = await withData(dataDir, (transactor) => transactor.withTenant(orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute()));
    const event = events.map((row) => row.event as { action: string; actor: { type: string }; targets: { id: string }[] }).find((e) => e.action === 'member.removed');
    assert.equal(event?.actor.type, 'operator');
    assert.deepEqual(event?.targets.map((x) => x.id), [member]);
  });
});
