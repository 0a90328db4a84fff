import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKeyFixture, insertSecretRow, readSecretRow, secretContext, type KeyFixture } from './key-test-fixture.ts';

describe('key rotation', () => {
  let f: KeyFixture;
  before(async () => {
    f = await createKeyFixture({ rotationDays: 30 });
  });
  after(async () => {
    await f.close();
  });

  it('ENC-2: rotating root and tenant keys while encrypting and decrypting in a loop fails no operation', async () => {
    const tenants = [await f.newTenant(), await f.newTenant()];
    const rows: { tenantId: string; id: string; plaintext: string }[] = [];
    for (const tenantId of tenants) {
      for (let i = 0; i < 5; i++) {
        const id = await insertSecretRow(f.t, tenantId, 'pk1.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA');
        const plaintext = `secret ${tenantId} ${i}`;
        // Encrypted outside the transaction, as callers must: on PGlite a nested one would wait forever.
        const sealed = await f.fields.encryptField(secretContext(tenantId, id), plaintext);
        await f.t.transactor.withTenant(tenantId, (tx) => tx.updateTable('audit_destinations').set({ secret_sealed: sealed }).where('id', '=', id).execute());
        rows.push({ tenantId, id, plaintext });
      }
    }
    let stop = false;
    let operations = 0;
    const failures: unknown[] = [];
    const load = (async () => {
      while (!stop) {
        for (const row of rows) {
          try {
            const context = secretContext(row.tenantId, row.id);
            assert.equal(await f.fields.decryptField(context, await readSecretRow(f.t, row.tenantId, row.id)), row.plaintext);
            assert.equal(await f.fields.decryptField(context, await f.fields.encryptField(context, row.plaintext)), row.plaintext);
            operations += 2;
          } catch (error) {
            failures.push(error);
          }
        }
      }
    })();
    for (const tenantId of tenants) assert.equal(await f.maintenance.rotateTenant(tenantId), 2);
    assert.equal(await f.maintenance.rotateRoot(), 'local/2');
    for (let n = await f.maintenance.pass(), i = 0; n > 0; n = await f.maintenance.pass(), i++) if (i > 20) throw new Error(`maintenance does not settle: ${n}`);
    assert.equal(await f.maintenance.rotateTenant(tenants[0] ?? ''), 3);
    for (let n = await f.maintenance.pass(), i = 0; n > 0; n = await f.maintenance.pass(), i++) if (i > 20) throw new Error(`maintenance does not settle: ${n}`);
    stop = true;
    await load;
    assert.deepEqual(failures, []);
    assert.ok(operations > 0);

    // Everything now names the primary version and every key is wrapped by the new root.
    const status = await f.maintenance.status();
    for (const tenant of status.tenants.filter((t) => tenants.includes(t.tenantId))) {
      assert.equal(tenant.pendingRewrap, 0);
      assert.equal(tenant.pendingReencrypt, 0);
      assert.ok(tenant.versions.every((v) => v.rootVersion === 'local/2'));
    }
    for (const row of rows) assert.match(await readSecretRow(f.t, row.tenantId, row.id), row.tenantId === tenants[0] ? /^pk1\.3\./ : /^pk1\.2\./);
  });

  it('ENC-2: an old version retires only when no value references it and caches have expired, and still decrypts until then', async () => {
    const tenantId = await f.newTenant();
    const id = await insertSecretRow(f.t, tenantId, 'pk1.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA');
    const context = secretContext(tenantId, id);
    const v1 = await f.fields.encryptField(context, 'kept');
    await f.t.transactor.withTenant(tenantId, (tx) => tx.updateTable('audit_destinations').set({ secret_sealed: v1 }).where('id', '=', id).execute());
    await f.maintenance.rotateTenant(tenantId);
    const states = () => f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select(['version', 'state']).orderBy('version').execute());
    // A copy of the old value elsewhere (a stale node's write) still decrypts under v1.
    assert.equal(await f.fields.decryptField(context, v1), 'kept');
    await f.maintenance.pass();
    assert.match(await readSecretRow(f.t, tenantId, id), /^pk1\.2\./);
    assert.deepEqual(await states(), [{ version: 1, state: 'active' }, { version: 2, state: 'active' }], 'not retired within the cache age');
    f.clock.advance(300_001);
    await f.maintenance.pass();
    assert.deepEqual(await states(), [{ version: 1, state: 'retired' }, { version: 2, state: 'active' }]);
    assert.equal(await f.fields.decryptField(context, v1), 'kept', 'a retired version still decrypts');
  });

  it('ENC-2: a tenant key rotates on schedule once its primary version is older than the rotation period', async () => {
    const tenantId = await f.newTenant();
    await f.fields.encryptField(secretContext(tenantId, 'x'), 'x');
    const primary = async () => (await f.maintenance.status()).tenants.find((t) => t.tenantId === tenantId)?.versions.find((v) => v.primary)?.version;
    await f.maintenance.pass();
    assert.equal(await primary(), 1);
    f.clock.advance(31 * 86_400_000);
    await f.maintenance.pass();
    assert.equal(await primary(), 2);
    const events = await f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    assert.ok(events.some((e) => JSON.stringify(e.event).includes('keys.tenant_key_rotated')));
  });
});
