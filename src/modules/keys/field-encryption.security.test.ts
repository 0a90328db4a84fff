import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../config/index.ts';
import { createLogger } from '../../platform/log/logger.ts';
import { startRuntime } from '../../start.ts';
import { FieldDecryptionError } from '../../platform/crypto/field-format.ts';
import { createKeyFixture, secretContext, type KeyFixture } from './key-test-fixture.ts';
import { loadOrCreateKeyring } from '../../platform/crypto/keyring.ts';

describe('field encryption attacks', () => {
  let f: KeyFixture;
  let a: string;
  let b: string;
  before(async () => {
    f = await createKeyFixture();
    a = await f.newTenant();
    b = await f.newTenant();
  });
  after(async () => {
    await f.close();
  });

  it('ENC-1: a ciphertext moved to another row, column, table or tenant fails to decrypt', async () => {
    const here = secretContext(a, 'row-1');
    const sealed = await f.fields.encryptField(here, 'the secret');
    await f.fields.encryptField(secretContext(b, 'row-1'), 'b has a key v1 too');
    for (const moved of [{ ...here, rowId: 'row-2' }, { ...here, column: 'url' }, { ...here, table: 'audit_events' }, { ...here, tenantId: b }]) {
      await assert.rejects(f.fields.decryptField(moved, sealed), FieldDecryptionError, JSON.stringify(moved));
    }
    assert.equal(await f.fields.decryptField(here, sealed), 'the secret');
  });

  it('ENC-1: a ciphertext whose body, tag, nonce or key version was changed fails to decrypt', async () => {
    const here = secretContext(a, 'row-3');
    const sealed = await f.fields.encryptField(here, 'tamper with me');
    await f.maintenance.rotateTenant(a);
    await f.fields.encryptField(here, 'so that version 2 exists');
    const [format, version, nonce, body] = sealed.split('.') as [string, string, string, string];
    const flip = (text: string, at: number) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[at] = (bytes[at] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    const bodyLength = Buffer.from(body, 'base64url').length;
    const tampered = [
      [format, version, nonce, flip(body, 0)], // ciphertext
      [format, version, nonce, flip(body, bodyLength - 1)], // tag
      [format, version, flip(nonce, 0), body],
      [format, '2', nonce, body], // relabelled to another version of the same tenant
      [format, version, nonce, Buffer.from(body, 'base64url').subarray(0, bodyLength - 1).toString('base64url')], // truncated tag
    ];
    for (const parts of tampered) await assert.rejects(f.fields.decryptField(here, parts.join('.')), FieldDecryptionError, parts.join('.'));
  });

  it('ENC-1: a destroyed tenant key version makes its values unreadable, and a new version takes over encryption', async () => {
    const tenant = await f.newTenant();
    const here = secretContext(tenant, 'row-1');
    const sealed = await f.fields.encryptField(here, 'gone');
    await f.maintenance.destroyTenantVersion(tenant, 1);
    await assert.rejects(f.fields.decryptField(here, sealed), FieldDecryptionError);
    const row = await f.t.transactor.withTenant(tenant, (tx) => tx.selectFrom('tenant_keys').select(['state', 'wrapped']).where('version', '=', 1).executeTakeFirstOrThrow());
    assert.deepEqual(row, { state: 'destroyed', wrapped: null });
    assert.match(await f.fields.encryptField(here, 'new'), /^pk1\.2\./);
  });

  it('ENC-1: decryption errors name no plaintext, key or ciphertext', async () => {
    const here = secretContext(a, 'row-4');
    const sealed = await f.fields.encryptField(here, 'canary-plaintext-7c1d');
    const error = await f.fields.decryptField({ ...here, rowId: 'elsewhere' }, sealed).catch((e: unknown) => e);
    assert.ok(error instanceof FieldDecryptionError);
    const text = `${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`;
    assert.ok(!text.includes('canary-plaintext-7c1d') && !text.includes(sealed.split('.')[3] ?? '!'));
  });
});

describe('keyring permissions', () => {
  it('ENC-2: start-up refuses a keyring that group or others can read, naming the file and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parapet-keys-'));
    const path = join(dir, 'keyring.json');
    loadOrCreateKeyring(path);
    chmodSync(path, 0o640);
    const config = loadConfig({ env: { PARAPET_DATA_DIR: dir, PARAPET_DATABASE_URL: 'memory:', PARAPET_LOG_LEVEL: 'silent' } });
    await assert.rejects(startRuntime(config, createLogger('silent')), (error: Error) => error.message.includes(path) && /mode 0640/.test(error.message) && /chmod 600/.test(error.message));
  });
});
