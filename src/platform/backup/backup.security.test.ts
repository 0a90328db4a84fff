// Attacks on backups (ENC-5): altered, cut, reordered or foreign files, the wrong key, plaintext
// in the file, and a tenant crypto-shredded after the backup was taken.
import { schemaMigrations } from '../../schema.ts';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { gunzipSync, constants as zlib } from 'node:zlib';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { postgresSkipReason, TEST_DB_KIND, TEST_KEYRING } from '../../../test/support/databases.ts';
import { systemClock } from '../clock.ts';
import { FieldDecryptionError } from '../../modules/keys/field-encryption.ts';
import { createBackup } from './backup-create.ts';
import { BACKUP_MAGIC, BackupFormatError, dataKeyAad, openBackupFile } from './backup-format.ts';
import { BackupKeyError, readBackupKeys } from './backup-keys.ts';
import { bypassing, emptyTarget, everyRow, tempBackupKeys, type RestoreTarget } from './backup-test-fixture.ts';
import { restoreBackup, verifyBackup } from './backup-restore.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const skip = TEST_DB_KIND === 'postgres' ? await postgresSkipReason() : false;

interface Tenant {
  readonly orgId: string;
  readonly admin: Member;
  readonly destinationId: string;
  readonly secret: string;
}

/** Splits a backup file into its header bytes and its frames (flags ‖ length ‖ body each). */
function frames(bytes: Buffer): { head: Buffer; frames: Buffer[] } {
  const headerEnd = BACKUP_MAGIC.length + 4 + bytes.readUInt32BE(BACKUP_MAGIC.length);
  const list: Buffer[] = [];
  for (let at = headerEnd; at < bytes.length; ) {
    const size = 5 + bytes.readUInt32BE(at + 1);
    list.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { head: bytes.subarray(0, headerEnd), frames: list };
}

/** What someone without the key can read: the frame bodies, gunzipped if they are gzip at all. */
function readableWithoutKey(bytes: Buffer): string {
  const bodies = Buffer.concat(frames(bytes).frames.map((f) => f.subarray(5, f.length - 16)));
  let content = '';
  try {
    content = gunzipSync(bodies, { finishFlush: zlib.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    // Not gzip: encrypted.
  }
  return bytes.toString('latin1') + content;
}

peerSuite('backup attacks', skip, () => {
  let t: TestApp;
  let target: RestoreTarget;
  let tenants: Tenant[];
  const { keys, dir, path: keysPath } = tempBackupKeys();
  const file = join(dir, 'parapet.backup');
  const projectCanary = `canary-project-${crypto.randomUUID()}`;
  const restore = (path: string, withKeys = keys) => restoreBackup({ db: target.db, keys: withKeys, keyringId: TEST_KEYRING.id, contextKey: TEST_KEYRING.derive('tenant-context-mac'), clock: systemClock, path, migrations: schemaMigrations() });
  const variant = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes, { mode: 0o600 });
    return path;
  };
  /** Both commands refuse the file, for the reason `why` names (not by luck further down the pipe). */
  const refused = async (path: string, why: RegExp) => {
    const expected = (error: unknown) => error instanceof BackupFormatError && why.test(error.message);
    await assert.rejects(verifyBackup(path, keys), expected);
    await assert.rejects(restore(path), expected);
    // Nothing was loaded: the target stays empty (at most migrated).
    for (const [name, rows] of await everyRow(target.reader)) if (name !== 'parapet_migrations') assert.equal(rows.length, 0, `${name} has rows after a refused restore`);
  };

  before(async () => {
    t = await createTestApp({ env: { PARAPET_BACKUP_KEYS: keysPath } });
    tenants = [];
    for (const label of ['alpha', 'beta']) {
      const org = await createOrg(t, label);
      const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/audit/destinations`, headers: { cookie: org.admin.cookie }, payload: { kind: 'webhook', name: `Hook ${label}`, url: 'https://siem.example.com/parapet', enabled: false } });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json<{ id: string; secret: string }>();
      tenants.push({ orgId: org.orgId, admin: org.admin, destinationId: body.id, secret: body.secret });
    }
    const project = await t.inject({ method: 'POST', url: `/api/v1/organizations/${tenants[0]!.orgId}/projects`, headers: { cookie: tenants[0]!.admin.cookie }, payload: { name: projectCanary } });
    assert.equal(project.statusCode, 201, project.body);
    const source = await bypassing(t.database);
    try {
      // Small frames, so the file has many to cut, swap and alter.
      await createBackup({ db: source.db, keys, keyringId: TEST_KEYRING.id, clock: systemClock, path: file, frameBytes: 512, migrations: schemaMigrations() });
    } finally {
      await source.close();
    }
    target = await emptyTarget(t.database.kind);
  });

  after(async () => {
    await target.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ENC-5 the file holds no plaintext: no secret, no row, no key, even decompressed without the key', () => {
    const bytes = readFileSync(file);
    assert.ok(frames(bytes).frames.length >= 4, 'expected several frames');
    const readable = readableWithoutKey(bytes);
    const root = JSON.parse(readFileSync(keysPath, 'utf8')) as { root: string; shred_keys: Record<string, string> };
    for (const secret of [projectCanary, `Org alpha`, ...tenants.map((x) => x.secret), ...tenants.map((x) => x.secret.slice('whsec_'.length)), root.root, ...Object.values(root.shred_keys)]) {
      assert.ok(!readable.includes(secret), `readable without the key: ${secret.slice(0, 12)}…`);
    }
    assert.ok(!bytes.includes(Buffer.from(root.root, 'base64')));
  });

  it('ENC-5 decrypted and decompressed, the content still holds encrypted fields only in their envelope', async () => {
    const opened = await openBackupFile(file);
    const chunks: Buffer[] = [];
    try {
      const dataKey = keys.unwrapDataKey(Buffer.from(opened.header.key.wrapped_data_key, 'base64'), dataKeyAad(opened.header));
      for await (const frame of opened.frames(dataKey)) chunks.push(frame);
    } finally {
      await opened.close();
    }
    const content = gunzipSync(Buffer.concat(chunks)).toString('utf8');
    // The content is the data (not vacuous) …
    assert.ok(content.includes(projectCanary));
    assert.ok(content.includes('"secret_sealed":"pk1.'));
    // … but field-encrypted secrets and the provider-wrapped tenant keys are not in it.
    for (const tenant of tenants) assert.ok(!content.includes(tenant.secret.slice('whsec_'.length)), 'webhook secret in backup content');
    const source = await bypassing(t.database);
    try {
      const rows = await source.db.withOwner((s) => s.query<{ w: string }>(`select encode(wrapped, 'hex') as w from tenant_keys where wrapped is not null`));
      assert.equal(rows.length, 2);
      for (const row of rows) assert.ok(!content.includes(row.w), 'a provider-wrapped tenant key is in the backup as stored');
    } finally {
      await source.close();
    }
  });

  it('ENC-5 a changed byte in any frame is refused by verify and restore', async () => {
    const bytes = Buffer.from(readFileSync(file));
    const { head, frames: list } = frames(bytes);
    const at = head.length + list[0]!.length + list[1]!.length + 40;
    bytes[at] = bytes[at]! ^ 0x01;
    await refused(variant('tampered.backup', bytes), /frame 2 fails authentication/);
  });

  it('ENC-5 a changed header is refused (every frame is bound to it)', async () => {
    const bytes = readFileSync(file);
    const { head, frames: list } = frames(bytes);
    const text = head.toString('latin1');
    const altered = Buffer.from(text.replace(/"server_version":"(\d)/, (_m, d: string) => `"server_version":"${(Number(d) + 1) % 10}`), 'latin1');
    assert.notDeepEqual(altered, head);
    await refused(variant('header.backup', Buffer.concat([altered, ...list])), /frame 0 fails authentication/);
  });

  it('ENC-5 a file cut short is refused, at a frame boundary or inside a frame', async () => {
    const bytes = readFileSync(file);
    const { head, frames: list } = frames(bytes);
    await refused(variant('cut-boundary.backup', Buffer.concat([head, ...list.slice(0, -1)])), /final frame is missing/);
    await refused(variant('cut-inside.backup', bytes.subarray(0, bytes.length - 7)), /truncated in frame/);
    await refused(variant('extra.backup', Buffer.concat([bytes, list[0]!])), /data follows the final frame/);
  });

  it('ENC-5 frames swapped or replayed are refused', async () => {
    const { head, frames: list } = frames(readFileSync(file));
    await refused(variant('swapped.backup', Buffer.concat([head, list[1]!, list[0]!, ...list.slice(2)])), /frame 0 fails authentication/);
    await refused(variant('replayed.backup', Buffer.concat([head, list[0]!, list[0]!, ...list.slice(2)])), /frame 1 fails authentication/);
  });

  it('ENC-5 the wrong backup key is refused: another key file, or the same file id with another root', async () => {
    const other = tempBackupKeys();
    try {
      await assert.rejects(verifyBackup(file, other.keys), BackupKeyError);
      await assert.rejects(restore(file, other.keys), BackupKeyError);
      const forged = JSON.parse(readFileSync(other.path, 'utf8')) as { id: string };
      forged.id = keys.id;
      writeFileSync(other.path, JSON.stringify(forged), { mode: 0o600 });
      await assert.rejects(verifyBackup(file, readBackupKeys(other.path)), BackupKeyError);
      await assert.rejects(restore(file, readBackupKeys(other.path)), BackupKeyError);
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('ENC-5 a tenant whose keys were destroyed after the backup stays unreadable when the backup is restored; others decrypt', async () => {
    const [alpha, beta] = tenants as [Tenant, Tenant];
    await t.app.services.keys.maintenance.destroyTenantVersion(alpha.orgId, 1);
    const report = await verifyBackup(file, readBackupKeys(keysPath));
    assert.deepEqual(report.tenantKeys, { kept: 1, shredded: 1 });
    const restored = await restore(file, readBackupKeys(keysPath));
    assert.deepEqual(restored.tenantKeys, { kept: 1, shredded: 1 });
    const app = await createTestApp({ database: target.test, env: { PARAPET_BACKUP_KEYS: keysPath } });
    try {
      const sealed = async (tenant: Tenant) =>
        app.transactor.withTenant(tenant.orgId, async (tx) => (await tx.selectFrom('audit_destinations').select('secret_sealed').where('id', '=', tenant.destinationId).executeTakeFirstOrThrow()).secret_sealed ?? '');
      const field = (tenant: Tenant) => ({ tenantId: tenant.orgId, table: 'audit_destinations', column: 'secret_sealed', rowId: tenant.destinationId });
      await assert.rejects(app.app.services.keys.fields.decryptField(field(alpha), await sealed(alpha)), FieldDecryptionError);
      assert.equal(await app.app.services.keys.fields.decryptField(field(beta), await sealed(beta)), beta.secret);
    } finally {
      await app.close();
    }
  });
});
