import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createKeyFixture, insertSecretRow, readSecretRow, secretContext, type KeyFixture } from './key-test-fixture.ts';
import { createSealer } from '../../platform/crypto/seal.ts';

describe('envelope encryption of fields', () => {
  let f: KeyFixture;
  before(async () => {
    f = await createKeyFixture({ limits: { reserveBlock: 100 } });
  });
  after(async () => {
    await f.close();
  });

  it('ENC-1: the first encryption of a tenant creates its tenant key, stored only wrapped', async () => {
    const tenantId = await f.newTenant();
    const stored = await f.fields.encryptField(secretContext(tenantId, 'r1'), 'hello');
    assert.match(stored, /^pk1\.1\.[\w-]{16}\.[\w-]+$/);
    assert.equal(await f.fields.decryptField(secretContext(tenantId, 'r1'), stored), 'hello');
    const rows = await f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').selectAll().execute());
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.state, 'active');
    assert.equal(rows[0]?.root_version, 'local/1');
    assert.equal(rows[0]?.wrapped?.length, 12 + 32 + 16, 'nonce, wrapped 256-bit key, tag');
    assert.equal(Number(rows[0]?.encryptions), 100, 'one block of encryptions reserved');
  });

  it('ENC-1: with a warm tenant key, encryption and decryption call the key provider zero times', async () => {
    const tenantId = await f.newTenant();
    const context = secretContext(tenantId, 'r1');
    await f.fields.encryptField(context, 'warm up');
    const before_ = f.provider.total();
    for (let i = 0; i < 50; i++) assert.equal(await f.fields.decryptField(context, await f.fields.encryptField(context, `value ${i}`)), `value ${i}`);
    assert.equal(f.provider.total(), before_);
  });

  it('ENC-1: a cached tenant key is unwrapped again after its age or use limit', async () => {
    const g = await createKeyFixture({ limits: { cacheMaxUses: 5, cacheMaxAgeMs: 60_000 } });
    try {
      const tenantId = await g.newTenant();
      const context = secretContext(tenantId, 'r1');
      const stored = await g.fields.encryptField(context, 'x');
      assert.equal(g.provider.calls['unwrap'] ?? 0, 0, 'the key made by this process is cached as generated');
      for (let i = 0; i < 4; i++) await g.fields.decryptField(context, stored);
      assert.equal(g.provider.calls['unwrap'] ?? 0, 0);
      await g.fields.decryptField(context, stored);
      assert.equal(g.provider.calls['unwrap'], 1, 'the use limit forces an unwrap');
      g.clock.advance(60_001);
      await g.fields.decryptField(context, stored);
      assert.equal(g.provider.calls['unwrap'], 2, 'the age limit forces an unwrap');
    } finally {
      await g.close();
    }
  });

  it('ENC-1: a key version never encrypts more than the configured limit; the next version takes over', async () => {
    const g = await createKeyFixture({ limits: { maxEncryptionsPerKey: 3, reserveBlock: 2 } });
    try {
      const tenantId = await g.newTenant();
      const versions = [];
      for (let i = 0; i < 7; i++) versions.push((await g.fields.encryptField(secretContext(tenantId, `r${i}`), 'x')).split('.')[1]);
      assert.deepEqual(versions, ['1', '1', '1', '2', '2', '2', '3']);
      const rows = await g.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select(['version', 'encryptions']).orderBy('version').execute());
      assert.ok(rows.every((r) => Number(r.encryptions) <= 3), JSON.stringify(rows));
    } finally {
      await g.close();
    }
  });

  it('ENC-1: values sealed in the old v1 format still decrypt, and the maintenance job rewrites them as pk1', async () => {
    const tenantId = await f.newTenant();
    const rowId = crypto.randomUUID();
    const legacy = createSealer(TEST_KEYRING).seal('old secret', secretContext(tenantId, rowId));
    await insertSecretRow(f.t, tenantId, legacy).then(async (id) => {
      // insertSecretRow picks its own id: re-seal for that row.
      const sealed = createSealer(TEST_KEYRING).seal('old secret', secretContext(tenantId, id));
      await f.t.transactor.withTenant(tenantId, (tx) => tx.updateTable('audit_destinations').set({ secret_sealed: sealed }).where('id', '=', id).execute());
      assert.equal(await f.fields.decryptField(secretContext(tenantId, id), sealed), 'old secret');
      while ((await f.maintenance.pass()) > 0);
      const rewritten = await readSecretRow(f.t, tenantId, id);
      assert.match(rewritten, /^pk1\.1\./);
      assert.equal(await f.fields.decryptField(secretContext(tenantId, id), rewritten), 'old secret');
    });
  });
});
