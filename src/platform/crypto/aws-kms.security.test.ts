import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ScheduleKeyDeletionCommand, KMSClient } from '@aws-sdk/client-kms';
import { motoKeyProvider, motoMissing, startMoto, type Moto } from '../../../test/support/moto.ts';
import { FieldDecryptionError } from './field-format.ts';
import { KeyProviderError } from './key-provider.ts';
import { createKeyFixture, secretContext } from '../../modules/keys/key-test-fixture.ts';
import { peerSuite } from '../../../test/support/peer-suite.ts';

const missing = motoMissing();
if (missing !== undefined) process.stdout.write(`# skipping AWS KMS security tests: ${missing}\n`);

peerSuite('AWS KMS key provider attacks (against moto_server)', missing, () => {
  let moto: Moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto.stop();
  });
  const provider = (keyId: string) => motoKeyProvider(moto, keyId);

  it('ENC-2: KMS refuses to unwrap a tenant key for another tenant or key version (encryption context)', async () => {
    const kms = provider(await moto.createKey());
    const context = { tenantId: '018f0000-0000-7000-8000-000000000001', keyVersion: 1 };
    const { wrapped } = await kms.generateDataKey(context);
    await assert.rejects(kms.unwrap(wrapped, { ...context, tenantId: '018f0000-0000-7000-8000-000000000002' }), KeyProviderError);
    await assert.rejects(kms.unwrap(wrapped, { ...context, keyVersion: 2 }), KeyProviderError);
  });

  it('ENC-2: a destroyed tenant key version makes its data unreadable even though KMS still answers Decrypt', async () => {
    const keyId = await moto.createKey();
    const f = await createKeyFixture({ provider: provider(keyId) });
    try {
      const tenantId = await f.newTenant();
      const context = secretContext(tenantId, 'row-1');
      const sealed = await f.fields.encryptField(context, 'shredded secret');
      const row = await f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select(['root_version', 'wrapped']).executeTakeFirstOrThrow());
      const wrapped = { rootVersion: row.root_version, ciphertext: Buffer.from(row.wrapped ?? []) };
      await f.maintenance.destroyTenantVersion(tenantId, 1);
      // Even the KMS key scheduled for deletion: moto (like KMS in its waiting period, if cancelled) still decrypts.
      const client = new KMSClient({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
      await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      client.destroy();
      assert.equal((await provider(keyId).unwrap(wrapped, { tenantId, keyVersion: 1 })).length, 32, 'moto still answers for the old wrapped key');
      await assert.rejects(f.fields.decryptField(context, sealed), FieldDecryptionError);
      const after_ = await f.t.transactor.withTenant(tenantId, (tx) => tx.selectFrom('tenant_keys').select(['state', 'wrapped']).executeTakeFirstOrThrow());
      assert.deepEqual(after_, { state: 'destroyed', wrapped: null });
    } finally {
      await f.close();
    }
  });
});
