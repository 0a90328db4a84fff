import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import type { AppTransactor } from '../../database.ts';
import { manualClock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import { keyFixture, sameDatabase, type KeyFixture } from './api-keys-test-fixture.ts';
import { formatApiKey, keyChecksum } from './key-format.ts';
import { createKeyVerifier } from './key-verifier.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createRowIntegrity } from '../identity/index.ts';

const DAY_MS = 86_400_000;


/** A transactor that counts every transaction it is asked to open and answers "no such key". */
function countingTransactor(): { transactor: AppTransactor; calls: () => number } {
  let calls = 0;
  const refuse = async () => {
    calls++;
    return undefined as never;
  };
  return { transactor: { withTenant: refuse, withActor: refuse, withPlatform: refuse, withJobs: refuse }, calls: () => calls };
}

describe('API key attacks (AUTH-7)', () => {
  it('AUTH-7: keys with a bad format or checksum are refused before any database lookup', async () => {
    const counting = countingTransactor();
    const verifier = createKeyVerifier({ transactor: counting.transactor, clock: { now: () => new Date() }, fields: { decryptField: () => Promise.reject(new Error('no key reaches decryption here')) }, feed: undefined, integrity: createRowIntegrity(TEST_KEYRING.derive('row-integrity')) });
    const good = formatApiKey('live', crypto.randomUUID(), Buffer.alloc(32, 9));
    const body = good.slice(0, -6);
    const wrongChecksum = body + (keyChecksum(body) === '000000' ? '000001' : '000000');
    const typo = `${good.slice(0, 40)}${good[40] === 'x' ? 'y' : 'x'}${good.slice(41)}`;
    for (const presented of [wrongChecksum, typo, good.slice(0, -1), `${good}0`, good.replace('prk_live_', 'prk_dev_'), 'prk_live_', `${good.slice(0, 50)}-${good.slice(51)}`]) {
      await assert.rejects(verifier.verify(presented), (error: unknown) => error instanceof AppError && error.code === 'unauthenticated', presented);
    }
    assert.equal(counting.calls(), 0, 'a malformed key reached the database');
    // The counter works: a well-formed key that exists nowhere is looked up.
    await assert.rejects(verifier.verify(good));
    assert.equal(counting.calls(), 1);
    verifier.close();
  });

  describe('with an organization', () => {
    const clock = manualClock(new Date('2026-06-01T10:00:00Z'));
    let f: KeyFixture;
    before(async () => {
      f = await keyFixture({ clock });
    });
    after(async () => {
      await f.close();
    });
    const orgUrl = () => `/api/v1/organizations/${f.orgId}`;

    it('AUTH-7: an expired key is refused at the second it expires, even from the warm cache', async () => {
      clock.set(new Date('2026-06-01T10:00:00Z'));
      const { key, expires_at } = await f.createKey({ name: 'one day', permissions: ['organization.read'], expires_in_days: 1 });
      assert.equal(Date.parse(expires_at), clock.now().getTime() + DAY_MS);
      assert.equal((await f.withKey(key, 'GET', orgUrl())).statusCode, 200);
      // Loaded into the cache 30 s before expiry, so the refusal below comes from the warm entry.
      clock.set(new Date(Date.parse(expires_at) - 30_000));
      assert.equal((await f.withKey(key, 'GET', orgUrl())).statusCode, 200);
      clock.set(new Date(Date.parse(expires_at) - 1));
      assert.equal((await f.withKey(key, 'GET', orgUrl())).statusCode, 200, 'still valid one millisecond before');
      clock.set(new Date(expires_at));
      assertProblem(await f.withKey(key, 'GET', orgUrl()), 401, 'unauthenticated');
      clock.set(new Date('2026-06-01T10:00:00Z'));
    });

    it('AUTH-7: a rotated key stops working at the end of its overlap; its successor goes on', async () => {
      clock.set(new Date('2026-06-01T10:00:00Z'));
      const { key, id } = await f.createKey({ name: 'rotate me', permissions: ['organization.read'] });
      assert.equal((await f.withKey(key, 'GET', orgUrl())).statusCode, 200);
      const rotated = await f.t.inject({ method: 'POST', url: `${orgUrl()}/api-keys/${id}/rotate`, payload: { overlap_seconds: 60 }, headers: { cookie: f.cookie } });
      assert.equal(rotated.statusCode, 201, rotated.body);
      const successor = rotated.json<{ key: { key: string } }>().key.key;
      clock.advance(59_999);
      assert.equal((await f.withKey(key, 'GET', orgUrl())).statusCode, 200, 'inside the overlap');
      clock.advance(1);
      assertProblem(await f.withKey(key, 'GET', orgUrl()), 401, 'unauthenticated');
      assert.equal((await f.withKey(successor, 'GET', orgUrl())).statusCode, 200);
      clock.set(new Date('2026-06-01T10:00:00Z'));
    });

    it('AUTH-7: an environment-bound key cannot touch another environment, a project-bound key nothing in a sibling project', async () => {
      const envKey = await f.createKey({ name: 'prod only', permissions: ['environments.read', 'projects.read'], environment_id: f.environmentId });
      assert.equal(envKey.project_id, f.projectId, 'an environment-bound key carries its project');
      const env = (p: string, e: string) => `${orgUrl()}/projects/${p}/environments/${e}`;
      assert.equal((await f.withKey(envKey.key, 'GET', env(f.projectId, f.environmentId))).statusCode, 200);
      assertProblem(await f.withKey(envKey.key, 'GET', env(f.projectId, f.siblingEnvironmentId)), 403, 'forbidden');
      assertProblem(await f.withKey(envKey.key, 'GET', env(f.otherProjectId, f.otherEnvironmentId)), 403, 'forbidden');
      // Naming the key's project around another project's environment does not help.
      assertProblem(await f.withKey(envKey.key, 'GET', env(f.projectId, f.otherEnvironmentId)), 403, 'forbidden');

      const projectKey = await f.createKey({ name: 'project one', permissions: ['projects.read', 'environments.read'], project_id: f.projectId });
      assert.equal((await f.withKey(projectKey.key, 'GET', `${orgUrl()}/projects/${f.projectId}`)).statusCode, 200);
      assert.equal((await f.withKey(projectKey.key, 'GET', env(f.projectId, f.siblingEnvironmentId))).statusCode, 200);
      assertProblem(await f.withKey(projectKey.key, 'GET', `${orgUrl()}/projects/${f.otherProjectId}`), 403, 'forbidden');
      assertProblem(await f.withKey(projectKey.key, 'GET', env(f.otherProjectId, f.otherEnvironmentId)), 403, 'forbidden');
      assertProblem(await f.withKey(projectKey.key, 'GET', `${orgUrl()}/projects`), 403, 'forbidden');
    });

    it('AUTH-7: a key cannot be created with a permission its creator lacks (a Viewer with api_keys.manage cannot mint audit.read)', async () => {
      const viewer = await f.addMember({ permissions: ['organization.read', 'projects.read', 'api_keys.manage'] });
      const attempt = (body: object) => f.t.inject({ method: 'POST', url: `${orgUrl()}/api-keys`, payload: body, headers: { cookie: viewer.cookie } });
      assertProblem(await attempt({ name: 'escalate', permissions: ['audit.read'] }), 403, 'forbidden');
      assertProblem(await attempt({ name: 'escalate', permissions: ['projects.read', 'api_keys.read'] }), 403, 'forbidden');
      assertProblem(await attempt({ name: 'escalate', role: 'tenant_admin' }), 403, 'forbidden');
      const allowed = await attempt({ name: 'fine', permissions: ['projects.read'] });
      assert.equal(allowed.statusCode, 201, allowed.body);
      // Rotating someone else's stronger key would mint a new one too: refused the same way.
      const strong = await f.createKey({ name: 'admin key', permissions: ['audit.read'] });
      assertProblem(await f.t.inject({ method: 'POST', url: `${orgUrl()}/api-keys/${strong.id}/rotate`, payload: {}, headers: { cookie: viewer.cookie } }), 403, 'forbidden');
      // A key with api_keys.manage is held to its own permissions when it makes keys.
      const manager = await f.createKey({ name: 'key manager', permissions: ['api_keys.manage', 'projects.read'] });
      assertProblem(await f.withKey(manager.key, 'POST', `${orgUrl()}/api-keys`, { name: 'child', permissions: ['audit.read'] }), 403, 'forbidden');
      assert.equal((await f.withKey(manager.key, 'POST', `${orgUrl()}/api-keys`, { name: 'child', permissions: ['projects.read'] })).statusCode, 201);
      const count = await f.t.transactor.withTenant(f.orgId, (tx) => tx.selectFrom('api_keys').select('permissions').where('name', '=', 'escalate').execute());
      assert.equal(count.length, 0);
    });

    it("AUTH-7: a key of organization A is refused (404, no data) on organization B's routes", async () => {
      const other = await f.t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Org B secret name' }, headers: { cookie: f.cookie } });
      const orgB = other.json<{ id: string }>().id;
      const keyB = await f.t.inject({ method: 'POST', url: `/api/v1/organizations/${orgB}/api-keys`, payload: { name: 'B key', role: 'tenant_admin' }, headers: { cookie: f.cookie } });
      const keyBId = keyB.json<{ id: string }>().id;
      const { key } = await f.createKey({ name: 'A admin', role: 'tenant_admin' });
      for (const url of [`/api/v1/organizations/${orgB}`, `/api/v1/organizations/${orgB}/api-keys`, `/api/v1/organizations/${orgB}/api-keys/${keyBId}`, `/api/v1/organizations/${orgB}/projects`]) {
        const response = await f.withKey(key, 'GET', url);
        assertProblem(response, 404, 'not_found');
        assert.ok(!response.body.includes('Org B secret name') && !response.body.includes(keyBId));
      }
      assertProblem(await f.withKey(key, 'DELETE', `/api/v1/organizations/${orgB}/api-keys/${keyBId}`), 404, 'not_found');
      assertProblem(await f.withKey(key, 'POST', `/api/v1/organizations/${orgB}/api-keys`, { name: 'planted', role: 'viewer' }), 404, 'not_found');
      const stillActive = await f.t.inject({ method: 'GET', url: `/api/v1/organizations/${orgB}/api-keys/${keyBId}`, headers: { cookie: f.cookie } });
      assert.equal(stillActive.json<{ status: string }>().status, 'active');
    });
  });

  it('AUTH-7: a revoked key is refused on a second node within a second', async () => {
    const f = await keyFixture();
    // A second app over the same database: with PGlite the same database object, with a server its own pool.
    const second = await createTestApp({ database: await sameDatabase(f.t.database) });
    try {
      const { key, id } = await f.createKey({ name: 'two nodes', permissions: ['organization.read'] });
      const url = `/api/v1/organizations/${f.orgId}`;
      const onSecond = () => second.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
      assert.equal((await onSecond()).statusCode, 200, 'the second node verifies and caches the key');
      assert.equal((await onSecond()).statusCode, 200);
      assert.equal((await f.t.inject({ method: 'DELETE', url: `${url}/api-keys/${id}`, headers: { cookie: f.cookie } })).statusCode, 204);
      const revokedAt = performance.now();
      let status = 200;
      while (status === 200 && performance.now() - revokedAt < 1000) {
        status = (await onSecond()).statusCode;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(status, 401, 'the second node still accepted the revoked key after 1 s');
    } finally {
      await second.close();
      if (second.database !== f.t.database) await second.database.close();
      await f.close();
    }
  });
});
