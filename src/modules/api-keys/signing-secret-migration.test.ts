// ENC-1: API-key signing secrets sealed before envelope encryption (`v1.`) keep working, and the key
// maintenance job rewrites them under the tenant envelope (`pk1.`).
import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createSealer } from '../../platform/crypto/seal.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { signRequest } from '../../sdk/index.ts';
import { keyFixture, type KeyFixture } from './api-keys-test-fixture.ts';
import { insertKey, signingSecretContext } from './api-keys-store.ts';
import { formatApiKey, formatSigningSecret } from './key-format.ts';

describe('API-key signing secrets move onto the envelope (ENC-1)', () => {
  let f: KeyFixture;
  before(async () => {
    f = await keyFixture();
  });
  after(async () => {
    await f.close();
  });

  it('ENC-1: a v1-sealed signing secret still verifies; key maintenance rewrites it as pk1 and it verifies after', async () => {
    // A fresh organization with no tenant key: its only encrypted value is the old-format secret.
    const created = await f.t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Legacy keys' }, headers: { cookie: f.cookie } });
    const orgId = created.json<{ id: string }>().id;
    const id = crypto.randomUUID();
    const key = formatApiKey('live', id, crypto.getRandomValues(new Uint8Array(32)));
    const secret = formatSigningSecret(crypto.getRandomValues(new Uint8Array(32)));
    const now = new Date();
    await f.t.transactor.withTenant(orgId, (tx) =>
      insertKey(tx, createRowIntegrity(TEST_KEYRING.derive('row-integrity')), {
        tenant_id: orgId,
        id,
        name: 'made before 0013',
        mode: 'live',
        secret_hash: hash('sha256', key, 'buffer'),
        role: null,
        permissions: ['organization.read'],
        project_id: null,
        environment_id: null,
        signing_secret_sealed: createSealer(TEST_KEYRING).seal(secret, signingSecretContext(orgId, id)),
        created_by_type: 'user',
        created_by: f.userId,
        created_at: now,
        expires_at: new Date(now.getTime() + 86_400_000),
        rotated_to: null,
        rotated_from: null,
        retires_at: null,
        revoked_at: null,
        revoked_by: null,
        last_used_at: null,
        last_used_ip: null,
      }),
    );
    const url = `/api/v1/organizations/${orgId}`;
    // Each call is signed for a different second: an identical signed request is a replay (AUTH-8).
    const call = (now: Date) => f.t.inject({ method: 'GET', url, headers: { ...signRequest({ key, secret, method: 'GET', url, now }) } });
    assert.equal((await call(new Date())).statusCode, 200, 'the old format verifies');
    const stored = () => f.t.transactor.withTenant(orgId, (tx) => tx.selectFrom('api_keys').select('signing_secret_sealed').where('id', '=', id).executeTakeFirstOrThrow());
    assert.match((await stored()).signing_secret_sealed ?? '', /^v1\./);

    const status = await f.t.app.services.keys.maintenance.status();
    assert.equal(status.tenants.find((t) => t.tenantId === orgId)?.pendingReencrypt, 1, 'the job finds the organization and its old value');
    while ((await f.t.app.services.keys.maintenance.pass()) > 0);
    assert.match((await stored()).signing_secret_sealed ?? '', /^pk1\.1\./);

    // A cold cache reads the new format.
    f.t.app.services.apiKeys.verifier.drop(id);
    assert.equal((await call(new Date(Date.now() + 2000))).statusCode, 200, 'the envelope-encrypted secret verifies');
    const wrong = await f.t.inject({ method: 'GET', url, headers: { ...signRequest({ key, secret: formatSigningSecret(new Uint8Array(32)), method: 'GET', url }) } });
    assert.equal(wrong.statusCode, 401);
  });

  it('ENC-1: new signing secrets are stored under the envelope', async () => {
    const { id } = await f.createKey({ name: 'signs', permissions: ['organization.read'], signing: 'required' });
    const row = await f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('api_keys').select('signing_secret_sealed').where('id', '=', id).executeTakeFirstOrThrow());
    assert.match(row.signing_secret_sealed ?? '', /^pk1\.\d+\./);
  });
});
