import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { motoKeyProvider, motoMissing, startMoto, type Moto } from '../../../test/support/moto.ts';
import { createKeyFixture, insertSecretRow, readSecretRow, secretContext } from '../../modules/keys/key-test-fixture.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const missing = motoMissing();
if (missing !== undefined) process.stdout.write(`# skipping AWS KMS provider tests: ${missing}\n`);

peerSuite('AWS KMS key provider (against moto_server)', missing, () => {
  let moto: Moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto.stop();
  });
  const provider = (keyId: string) => motoKeyProvider(moto, keyId);

  it('ENC-2: generates tenant keys with GenerateDataKey and unwraps them with Decrypt under the same encryption context', async () => {
    const kms = provider(await moto.createKey());
    const context = { tenantId: '018f0000-0000-7000-8000-000000000001', keyVersion: 1 };
    const { plaintext, wrapped } = await kms.generateDataKey(context);
    assert.equal(plaintext.length, 32);
    assert.match(wrapped.rootVersion, /^arn:aws:kms:us-east-1:\d+:key\//);
    assert.deepEqual(await kms.unwrap(wrapped, context), plaintext);
    const rewrapped = await kms.wrap(plaintext, context);
    assert.deepEqual(await kms.unwrap(rewrapped, context), plaintext);
  });

  it('ENC-2: field encryption works end to end on KMS, and a root rotation rewraps every tenant key online', async () => {
    const f = await createKeyFixture({ provider: provider(await moto.createKey()) });
    try {
      const tenantId = await f.newTenant();
      const id = await insertSecretRow(f.t, tenantId, 'pk1.1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA');
      const sealed = await f.fields.encryptField(secretContext(tenantId, id), 'kms secret');
      await f.t.transactor.withTenant(tenantId, (tx) => tx.updateTable('audit_destinations').set({ secret_sealed: sealed }).where('id', '=', id).execute());
      const wrappedBefore = await f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select(['wrapped', 'wrapped_at']).executeTakeFirstOrThrow());
      f.clock.advance(1000);
      await f.maintenance.rotateRoot();
      // RotateKeyOnDemand keeps the ARN; keys wrapped before the rotation (KMS's clock) are rewrapped.
      f.clock.set(new Date(Date.now() + 1000));
      for (let i = 0; (await f.maintenance.pass()) > 0; i++) assert.ok(i < 10);
      const wrappedAfter = await f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select(['wrapped', 'wrapped_at']).executeTakeFirstOrThrow());
      assert.notDeepEqual(Buffer.from(wrappedAfter.wrapped ?? []), Buffer.from(wrappedBefore.wrapped ?? []));
      f.fields.evict(tenantId);
      assert.equal(await f.fields.decryptField(secretContext(tenantId, id), await readSecretRow(f.t, tenantId, id)), 'kms secret');
      const status = await f.maintenance.status();
      assert.equal(status.provider.kind, 'aws-kms');
      assert.equal(status.tenants.find((t) => t.tenantId === tenantId)?.pendingRewrap, 0);
    } finally {
      await f.close();
    }
  });
});
