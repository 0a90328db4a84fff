// Issue 13, property 1 (TEN-1): SQL injected as parapet_app — here run inside a verified tenant
// context, the way an injection in one of that organization's requests would run — cannot mint an
// API key, raise one's permissions or undo a revocation: every key row carries a MAC under a
// keyring key the database never holds, checked on every read. Then each row is presented to the
// HTTP API, which must refuse it. Runs on both databases: the defence is in the application.
import assert from 'node:assert/strict';
import { hash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { keyFixture, type KeyFixture } from './api-keys-test-fixture.ts';
import { upgradeKeyMacs } from './api-keys-store.ts';
import { formatApiKey } from './key-format.ts';

describe('API key rows carry MACs: SQL cannot mint or alter a key (issue 13, TEN-1)', () => {
  let f: KeyFixture;
  let viewer: { cookie: string; userId: string };
  before(async () => {
    f = await keyFixture();
    viewer = await f.addMember({ role: 'viewer' });
  });
  after(async () => {
    await f.close();
  });

  /** Runs SQL as parapet_app inside the organization's verified context (an injection in one of its requests). */
  const inject = (text: string, parameters: readonly unknown[] = []) => f.t.transactor.withTenant(f.orgId, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])), viewer.userId);
  const read = (key: string) => f.withKey(key, 'GET', `/api/v1/organizations/${f.orgId}/members`);
  const mint = async (columns: Record<string, unknown> = {}) => {
    const id = crypto.randomUUID();
    const key = formatApiKey('live', id, randomBytes(32));
    const values: Record<string, unknown> = {
      tenant_id: f.orgId,
      id,
      name: 'minted by hand',
      mode: 'live',
      secret_hash: hash('sha256', key, 'buffer'),
      role: 'tenant_admin',
      permissions: '{organization.read,members.read,members.manage,api_keys.manage}',
      created_by_type: 'user',
      created_by: f.userId,
      created_at: new Date(),
      expires_at: new Date(Date.now() + 86_400_000),
      ...columns,
    };
    const names = Object.keys(values);
    await inject(`insert into api_keys (${names.join(', ')}) values (${names.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(values));
    return { id, key };
  };

  it('TEN-1: a key inserted by hand with a chosen secret hash and admin permissions is refused', async () => {
    const { key } = await mint();
    assertProblem(await read(key), 401, 'unauthenticated');
  });

  it("TEN-1: a key inserted by hand with a real key's MAC copied onto it is refused", async () => {
    const real = await f.createKey({ name: 'real', role: 'viewer' });
    const { key, id } = await mint();
    await inject('update api_keys set integrity_mac = (select integrity_mac from api_keys where id = $1) where id = $2', [real.id, id]);
    assertProblem(await read(key), 401, 'unauthenticated');
    assert.equal((await read(real.key)).statusCode, 200, 'the real key still works');
  });

  it("TEN-1: raising a real key's permissions, widening its scope or lengthening its life makes it refused", async () => {
    for (const change of [
      "permissions = '{organization.read,members.read,members.manage,api_keys.manage}'",
      'project_id = null, environment_id = null',
      "expires_at = expires_at + interval '1 year'",
      'created_by = $2',
    ]) {
      const real = await f.createKey({ name: 'real', permissions: ['members.read'], project_id: f.projectId });
      assert.equal((await f.withKey(real.key, 'GET', `/api/v1/organizations/${f.orgId}/projects/${f.projectId}`)).statusCode !== 401, true);
      await inject(`update api_keys set ${change} where id = $1`, change.includes('$2') ? [real.id, viewer.userId] : [real.id]);
      // The node's cache holds a key for up to a minute (AUTH-7); the next load reads the altered row.
      f.t.app.services.apiKeys.verifier.drop(real.id);
      assert.equal((await read(real.key)).statusCode, 401, change);
    }
  });

  it('TEN-1: clearing the revocation of a revoked key does not bring it back', async () => {
    const real = await f.createKey({ name: 'to revoke', role: 'viewer' });
    assert.equal((await f.t.inject({ method: 'DELETE', url: `/api/v1/organizations/${f.orgId}/api-keys/${real.id}`, headers: { cookie: f.cookie } })).statusCode, 204);
    await inject('update api_keys set revoked_at = null, revoked_by = null where id = $1', [real.id]);
    assertProblem(await read(real.key), 401, 'unauthenticated');
  });

  it('TEN-1: a forged key is not listed as a key of the organization', async () => {
    const { id } = await mint();
    const listed = await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${f.orgId}/api-keys`, headers: { cookie: f.cookie } });
    assert.equal(listed.statusCode, 200);
    assert.ok(!listed.json<{ items: { id: string }[] }>().items.some((k) => k.id === id));
  });

  it('TEN-1: parapet_api_key_tenant answers only for a key id together with its presented digest', async () => {
    const real = await f.createKey({ name: 'lookup', role: 'viewer' });
    const lookup = async (digest: Buffer) => (await inject('select parapet_api_key_tenant($1::uuid, $2) as t', [real.id, digest])).rows[0] as { t: string | null };
    assert.deepEqual(await lookup(hash('sha256', real.key, 'buffer')), { t: f.orgId });
    assert.deepEqual(await lookup(randomBytes(32)), { t: null }, 'the id alone tells nothing');
    await assert.rejects(inject('select parapet_api_key_tenant($1::uuid)', [real.id]), /does not exist/);
  });

  it('TEN-1: the back-fill MACs the copy the migration took, not the live row; parapet_app cannot write a copy', async () => {
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    const kept = await mint({ role: 'viewer', permissions: '{organization.read,members.read}' });
    const altered = await mint({ role: 'viewer', permissions: '{organization.read,members.read}' });
    const copy = (id: string) =>
      f.t.database.db.withOwner((session) =>
        // The owner is bound by the copies' forced RLS too: the migration copies before enabling it.
        session.exec(`alter table api_keys_mac_upgrade no force row level security;
                      insert into api_keys_mac_upgrade select tenant_id, id, mode, secret_hash, role, permissions, project_id, environment_id, signing_secret_sealed,
                        created_by_type, created_by, created_at, expires_at, rotated_to, rotated_from, retires_at, revoked_at from api_keys where id = '${id}';
                      alter table api_keys_mac_upgrade force row level security`),
      );
    await copy(kept.id);
    await copy(altered.id);
    // After the copy (as if between the migration and the start), one key is raised by hand.
    await inject("update api_keys set permissions = '{organization.read,members.read,members.manage}' where id = $1", [altered.id]);
    // Neither the request context nor a forged jobs context sees or writes the copies.
    assert.deepEqual((await inject('select id from api_keys_mac_upgrade')).rows, []);
    await assert.rejects(inject('insert into api_keys_mac_upgrade (tenant_id, id) values ($1, $2)', [f.orgId, crypto.randomUUID()]), /permission denied|violates|null value/);
    assert.equal(await upgradeKeyMacs(f.t.transactor, integrity), 2);
    assert.equal((await read(kept.key)).statusCode, 200, 'a key copied by the migration works after the back-fill');
    assertProblem(await read(altered.key), 401, 'unauthenticated');
    assert.equal(await upgradeKeyMacs(f.t.transactor, integrity), 0, 'each copy is used once');
  });
});
