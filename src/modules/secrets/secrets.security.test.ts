// Attacks on the secrets vault (ENC-4): reading without the value permission, values leaking into
// lists, errors, logs, the audit log or its export, ciphertext moved elsewhere, one layer alone,
// and a destroyed tenant key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { FieldDecryptionError } from '../keys/field-encryption.ts';
import { keyringFromRoot } from '../../platform/crypto/keyring.ts';
import { systemRandom } from '../../platform/crypto/random.ts';
import { createSecretLayer, SecretLayerError } from './secret-layer.ts';
import { valueFieldContext } from './secrets-store.ts';

const CANARY = 'canary-vault-value-3b9e71d04c';

interface Org {
  orgId: string;
  projectId: string;
  environmentId: string;
  admin: Member;
}

describe('secrets vault attacks (ENC-4)', () => {
  let t: TestApp;
  let a: Org;
  let b: Org;
  /** A second environment of A's project. */
  let staging: string;

  const base = (org: Org, environmentId = org.environmentId) => `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${environmentId}/secrets`;
  const set = async (org: Org, name: string, value: string, environmentId?: string) => {
    const response = await t.inject({ method: 'POST', url: base(org, environmentId), payload: { name, value }, headers: { cookie: org.admin.cookie } });
    assert.equal(response.statusCode, 201, response.body);
    return response;
  };
  const read = (org: Org, name: string, who: Member = org.admin, environmentId?: string, query = '') =>
    t.inject({ method: 'GET', url: `${base(org, environmentId)}/${name}/value${query}`, headers: { cookie: who.cookie } });
  /** The stored rows of one secret's versions, read as the tenant. */
  const versionRows = (org: Org, name: string, environmentId = org.environmentId) =>
    t.transactor.withTenant(org.orgId, (tx) =>
      tx
        .selectFrom('secret_versions as v')
        .innerJoin('secrets as s', (join) => join.onRef('s.tenant_id', '=', 'v.tenant_id').onRef('s.id', '=', 'v.secret_id'))
        .select(['v.id', 'v.secret_id', 'v.version', 'v.value_encrypted'])
        .where('s.name', '=', name)
        .where('s.environment_id', '=', environmentId)
        .where('s.deleted_at', 'is', null)
        .orderBy('v.version')
        .execute(),
    );
  const store = (org: Org, versionId: string, value: string) =>
    t.transactor.withTenant(org.orgId, (tx) => tx.updateTable('secret_versions').set({ value_encrypted: value }).where('tenant_id', '=', org.orgId).where('id', '=', versionId).execute());

  before(async () => {
    t = await createTestApp({ logLevel: 'debug' });
    a = await createOrg(t, 'vault-a');
    b = await createOrg(t, 'vault-b');
    staging = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/projects/${a.projectId}/environments`, { name: 'staging', kind: 'staging' });
  });
  after(async () => {
    await t.close();
  });

  it('ENC-4: a value never appears in lists, metadata, versions, errors, logs, the audit log or the audit export', async () => {
    const responses = [await set(a, 'CANARY_TOKEN', CANARY), await set(a, 'CANARY_TOKEN', `${CANARY}-2`)];
    for (const url of [base(a), `${base(a)}/CANARY_TOKEN`, `${base(a)}/CANARY_TOKEN/versions`]) {
      const response = await t.inject({ method: 'GET', url, headers: { cookie: a.admin.cookie } });
      assert.equal(response.statusCode, 200, response.body);
      responses.push(response);
    }
    // Errors on paths that see the value: a value too large, a bad name, a value sent where the name goes.
    responses.push(await t.inject({ method: 'POST', url: base(a), payload: { name: 'CANARY_TOKEN', value: CANARY.repeat(3000) }, headers: { cookie: a.admin.cookie } }));
    responses.push(await t.inject({ method: 'POST', url: base(a), payload: { name: CANARY, value: CANARY }, headers: { cookie: a.admin.cookie } }));
    responses.push(await t.inject({ method: 'POST', url: base(a), payload: { name: 'CANARY_TOKEN', value: CANARY, extra: CANARY }, headers: { cookie: a.admin.cookie } }));
    assertProblem(responses.at(-3) ?? responses[0]!, 413, 'secret_too_large');
    assertProblem(responses.at(-2) ?? responses[0]!, 400, 'invalid_secret_name');
    // The one place a value leaves: the audited read.
    const value = await read(a, 'CANARY_TOKEN');
    assert.equal(value.json<{ value: string }>().value, `${CANARY}-2`);
    for (const response of responses) assert.ok(!response.body.includes(CANARY), `value in a response: ${response.body.slice(0, 300)}`);

    await t.app.services.audit.apiCalls.flush();
    await t.app.services.audit.sequencer.drain();
    const events = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('audit_events').select(['action', 'canonical']).execute());
    assert.ok(events.some((e) => e.action === 'secret.version_created') && events.some((e) => e.action === 'secret.value_read'));
    for (const event of events) assert.ok(!Buffer.from(event.canonical).toString('utf8').includes(CANARY), `value in audit event ${event.action}`);
    for (const format of ['jsonl', 'csv', 'ocsf']) {
      const exported = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/audit/export?format=${format}`, headers: { cookie: a.admin.cookie } });
      assert.equal(exported.statusCode, 200);
      assert.ok(exported.body.includes('secret.value_read') || exported.body.includes('secret'), `${format} export holds the secret events`);
      assert.ok(!exported.body.includes(CANARY), `value in the ${format} audit export`);
    }
    assert.ok(t.logs.length > 5);
    for (const line of t.logs) assert.ok(!line.includes(CANARY), `value in log: ${line}`);
    // And the database holds only the outer ciphertext.
    for (const row of await versionRows(a, 'CANARY_TOKEN')) assert.ok(row.value_encrypted.startsWith('pk1.') && !row.value_encrypted.includes(CANARY));
  });

  it('ENC-4: a member who may list and set secrets but not read values gets 403 on the value, and the refusal is audited', async () => {
    await set(a, 'WRITE_ONLY', 'only admins read this');
    // Security Admin manages secrets (write-only) and reads their metadata, but does not hold secrets.read_value.
    const securityAdmin = await memberWithRole(t, a, 'security_admin');
    assert.equal((await t.inject({ method: 'GET', url: base(a), headers: { cookie: securityAdmin.cookie } })).statusCode, 200);
    assert.equal((await t.inject({ method: 'POST', url: base(a), payload: { name: 'WRITE_ONLY', value: 'rotated by security' }, headers: { cookie: securityAdmin.cookie } })).statusCode, 201);
    const refused = await read(a, 'WRITE_ONLY', securityAdmin);
    assertProblem(refused, 403, 'forbidden');
    assert.ok(!refused.body.includes('rotated by security'));
    assertProblem(await read(a, 'WRITE_ONLY', securityAdmin, undefined, '?version=1'), 403, 'forbidden');
    const inbox = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    assert.ok(inbox.some((row) => {
      const event = row.event as { action: string; actor: { id: string } };
      return event.action === 'authz.denied' && event.actor.id === securityAdmin.userId;
    }));
    // The admin (Tenant Admin) reads it.
    assert.equal((await read(a, 'WRITE_ONLY')).json<{ value: string }>().value, 'rotated by security');
  });

  it('ENC-4: a ciphertext copied to another version, secret, environment or tenant does not decrypt there', async () => {
    await set(a, 'SOURCE', 'the source value');
    const [source] = await versionRows(a, 'SOURCE');
    assert.ok(source !== undefined);
    await set(a, 'SOURCE', 'second version');
    await set(a, 'OTHER', 'other value');
    await set(a, 'SOURCE', 'staging value', staging);
    await set(b, 'SOURCE', 'tenant b value');
    const targets: [Org, string, string | undefined][] = [
      [a, 'SOURCE', undefined],
      [a, 'OTHER', undefined],
      [a, 'SOURCE', staging],
      [b, 'SOURCE', undefined],
    ];
    for (const [org, name, environmentId] of targets) {
      const rows = await versionRows(org, name, environmentId);
      const target = rows.at(-1);
      assert.ok(target !== undefined && target.id !== source.id);
      // The envelope alone already refuses it (bound to tenant and row) …
      await assert.rejects(t.app.services.keys.fields.decryptField(valueFieldContext(org.orgId, target.id), source.value_encrypted), FieldDecryptionError);
      // … and so does the vault end to end.
      await store(org, target.id, source.value_encrypted);
      const response = await read(org, name, org.admin, environmentId);
      assertProblem(response, 409, 'secret_unreadable');
      assert.ok(!response.body.includes('the source value'));
    }
  });

  it('ENC-4: the secrets layer binds too: a value re-encrypted by the envelope for another place still does not decrypt', async () => {
    // An attacker who can use the tenant envelope (say, an insider with the key provider) unwraps
    // A's value and re-encrypts it for another row: the inner layer, bound to tenant, environment,
    // name, secret and version, still refuses it.
    await set(a, 'INNER_SOURCE', 'inner source value');
    await set(a, 'INNER_SOURCE', 'inner source value', staging);
    await set(a, 'INNER_TARGET', 'inner target value');
    await set(b, 'INNER_SOURCE', 'tenant b value');
    const [source] = await versionRows(a, 'INNER_SOURCE');
    assert.ok(source !== undefined);
    const inner = await t.app.services.keys.fields.decryptField(valueFieldContext(a.orgId, source.id), source.value_encrypted);
    await set(a, 'INNER_SOURCE', 'second version');
    const targets: [Org, string, string | undefined][] = [
      [a, 'INNER_SOURCE', undefined],
      [a, 'INNER_TARGET', undefined],
      [a, 'INNER_SOURCE', staging],
      [b, 'INNER_SOURCE', undefined],
    ];
    for (const [org, name, environmentId] of targets) {
      const target = (await versionRows(org, name, environmentId)).at(-1);
      assert.ok(target !== undefined && target.id !== source.id);
      await store(org, target.id, await t.app.services.keys.fields.encryptField(valueFieldContext(org.orgId, target.id), inner));
      assertProblem(await read(org, name, org.admin, environmentId), 409, 'secret_unreadable');
    }
    // The control: put back into its own row, the same inner value reads.
    await store(a, source.id, await t.app.services.keys.fields.encryptField(valueFieldContext(a.orgId, source.id), inner));
    assert.equal((await read(a, 'INNER_SOURCE', a.admin, undefined, '?version=1')).json<{ value: string }>().value, 'inner source value');
  });

  it('ENC-4: both layers are needed: the envelope alone yields only the inner ciphertext, and the secrets-layer key alone opens nothing stored', async () => {
    await set(a, 'LAYERED', CANARY);
    const [row] = await versionRows(a, 'LAYERED');
    assert.ok(row !== undefined);
    const context = { tenantId: a.orgId, environmentId: a.environmentId, name: 'LAYERED', secretId: row.secret_id, versionId: row.id };
    // The tenant envelope removed (by whoever holds the tenant key): still ciphertext, not the value.
    const inner = await t.app.services.keys.fields.decryptField(valueFieldContext(a.orgId, row.id), row.value_encrypted);
    assert.ok(inner !== CANARY && !inner.includes(CANARY), 'the envelope alone revealed the value');
    assert.ok(!Buffer.from(inner.split('.').at(-1) ?? '', 'base64url').toString('utf8').includes(CANARY), 'the inner layer is not encryption');
    // … which a secrets-layer key other than this keyring's cannot open.
    assert.throws(() => createSecretLayer(keyringFromRoot('other', Buffer.alloc(32, 8)), systemRandom).open(inner, context), SecretLayerError);
    // The secrets-layer key (the keyring) without the tenant key opens nothing the database holds.
    const layer = createSecretLayer(TEST_KEYRING, systemRandom);
    assert.throws(() => layer.open(row.value_encrypted, context), SecretLayerError);
    // With both, in order, the value.
    assert.equal(layer.open(inner, context), CANARY);
  });

  it('ENC-4: once the tenant key is destroyed, values are unreadable (and the failed read is audited)', async () => {
    const c = await createOrg(t, 'vault-shredded');
    await set(c, 'DOOMED', 'shred me');
    assert.equal((await read(c, 'DOOMED')).statusCode, 200);
    await t.app.services.keys.maintenance.destroyTenantVersion(c.orgId, 1);
    const response = await read(c, 'DOOMED');
    assertProblem(response, 409, 'secret_unreadable');
    assert.ok(!response.body.includes('shred me'));
    const inbox = await t.transactor.withTenant(c.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    assert.ok(inbox.some((r) => (r.event as { action: string; outcome: string }).action === 'secret.value_read' && (r.event as { outcome: string }).outcome === 'failure'));
  });
});

