import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

// Issue 14 part 3: a key acts with the intersection of its own permissions and what its creator
// holds now. A key whose creator lost access is suspended (and says so in the access review); a
// key made by a key stops with it. Every node drops what it knew when the change commits.
describe('API keys act with what their creator still holds (issue 14 part 3, AUTH-7)', () => {
  let t: TestApp;
  let second: TestApp;
  let org: Org;
  let secretUrl: string;

  before(async () => {
    t = await createTestApp();
    second = await createTestApp({ database: t.database });
    org = await createOrg(t, 'owners');
    secretUrl = `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments/${org.environmentId}/secrets`;
    const set = await t.inject({ method: 'POST', url: secretUrl, headers: { cookie: org.admin.cookie }, payload: { name: 'STRIPE_KEY', value: 'sk_live_secret' } });
    assert.equal(set.statusCode, 201, set.body);
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  const createKey = async (who: Member | { key: string }, payload: object): Promise<{ id: string; key: string }> => {
    const headers = 'key' in who ? { authorization: `Bearer ${who.key}` } : { cookie: who.cookie };
    const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers, payload: { name: 'k', ...payload } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string; key: string }>();
  };
  const readValue = (node: TestApp, key: string) => node.inject({ method: 'GET', url: `${secretUrl}/STRIPE_KEY/value`, headers: { authorization: `Bearer ${key}` } });
  const removeBinding = async (bindingId: string) => {
    const removed = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/bindings/${bindingId}`, headers: { cookie: org.admin.cookie } });
    assert.equal(removed.statusCode, 204, removed.body);
  };
  const review = async () => {
    const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/access-review`, headers: { cookie: org.admin.cookie } });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ principals: { type: string; id: string; flags: string[] }[] }>().principals;
  };
  /** Polls `read` until it answers `status`, for at most one second; returns the last status. */
  const within1s = async (read: () => Promise<{ statusCode: number }>, status: number): Promise<number> => {
    const started = Date.now();
    let last = (await read()).statusCode;
    while (last !== status && Date.now() - started < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      last = (await read()).statusCode;
    }
    return last;
  };

  it('AUTH-7: once every binding of its creator is removed, her Tenant Admin key reads no secret value, is flagged creator_lost_access, and works again when she is bound again', async () => {
    const creator = await memberWithRole(t, org, 'tenant_admin');
    const key = await createKey(creator, { role: 'tenant_admin' });
    assert.equal((await readValue(t, key.key)).statusCode, 200);
    assert.ok(!(await review()).find((p) => p.id === key.id)?.flags.includes('creator_lost_access'));
    await removeBinding(creator.bindingId);
    assertProblem(await readValue(t, key.key), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { authorization: `Bearer ${key.key}` } }), 403, 'forbidden');
    assert.ok((await review()).find((p) => p.id === key.id)?.flags.includes('creator_lost_access'), 'the review shows the key as suspended');
    // Suspended, not revoked: bound again, the creator's key works again.
    await post(t, org.admin, `/api/v1/organizations/${org.orgId}/bindings`, { principal: { type: 'user', id: creator.userId }, role: 'tenant_admin' });
    assert.equal((await readValue(t, key.key)).statusCode, 200);
  });

  it('AUTH-7: a key loses what its creator loses: her Tenant Admin key still reads the organization after she is made a Viewer, but no longer reads secret values', async () => {
    const creator = await memberWithRole(t, org, 'tenant_admin');
    const key = await createKey(creator, { role: 'tenant_admin' });
    await post(t, org.admin, `/api/v1/organizations/${org.orgId}/bindings`, { principal: { type: 'user', id: creator.userId }, role: 'viewer' });
    await removeBinding(creator.bindingId);
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { authorization: `Bearer ${key.key}` } })).statusCode, 200);
    assertProblem(await readValue(t, key.key), 403, 'forbidden');
    assert.ok(!(await review()).find((p) => p.id === key.id)?.flags.includes('creator_lost_access'), 'still holds some of its permissions');
  });

  it('AUTH-7: a second node refuses the key within 1 s of its creator\u2019s binding being removed on the first (change feed)', async () => {
    const creator = await memberWithRole(t, org, 'tenant_admin');
    const key = await createKey(creator, { role: 'tenant_admin' });
    assert.equal((await readValue(second, key.key)).statusCode, 200);
    assert.equal((await readValue(second, key.key)).statusCode, 200, 'served from the second node\u2019s caches');
    await removeBinding(creator.bindingId);
    assert.equal(await within1s(() => readValue(second, key.key), 403), 403, 'the second node still let the key act for a creator without access');
  });

  it('AUTH-7: a key made by another key stops when that key is revoked, on this node and on another within 1 s', async () => {
    const parent = await createKey(org.admin, { permissions: ['api_keys.manage', 'organization.read'] });
    const child = await createKey(parent, { permissions: ['organization.read'] });
    const read = (node: TestApp) => node.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}`, headers: { authorization: `Bearer ${child.key}` } });
    assert.equal((await read(t)).statusCode, 200);
    assert.equal((await read(second)).statusCode, 200);
    const revoked = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/api-keys/${parent.id}`, headers: { cookie: org.admin.cookie } });
    assert.equal(revoked.statusCode, 204);
    assertProblem(await read(t), 401, 'unauthenticated');
    assert.equal(await within1s(() => read(second), 401), 401, 'the second node still accepted a key whose maker was revoked');
    assert.ok((await review()).find((p) => p.id === child.id)?.flags.includes('creator_lost_access'));
  });
});
