import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, post, signUp, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

// Issue 14 part 2: taking access away is judged like granting it. Whoever removes a binding,
// revokes or rotates a key, deletes or narrows a custom role, disables or deletes a service
// account, or ends another member's sessions must hold every permission of what is removed, at its
// scope (a Tenant Admin holds everything); and the last Tenant Admin stays, also under concurrency.
describe('removing access needs what is removed (issue 14 part 2, AC-1)', () => {
  let t: TestApp;
  let a: Org;
  let b: Org;

  before(async () => {
    t = await createTestApp();
    a = await createOrg(t, 'a');
    b = await createOrg(t, 'b');
  });
  after(async () => {
    await t.close();
  });

  const del = (who: Member | { key: string }, url: string) =>
    t.inject({ method: 'DELETE', url, headers: 'key' in who ? { authorization: `Bearer ${who.key}` } : { cookie: who.cookie } });
  const createKey = async (who: Member, payload: object): Promise<{ id: string; key: string }> => {
    const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/api-keys`, headers: { cookie: who.cookie }, payload: { name: 'k', ...payload } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string; key: string }>();
  };

  it('AC-1: a Security Admin cannot remove a Tenant Admin binding (403, binding kept), but can remove a Viewer binding', async () => {
    const securityAdmin = await memberWithRole(t, a, 'security_admin');
    const admin = await memberWithRole(t, a, 'tenant_admin');
    assertProblem(await del(securityAdmin, `/api/v1/organizations/${a.orgId}/bindings/${admin.bindingId}`), 403, 'forbidden');
    // The Tenant Admin still acts as one.
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/bindings`, headers: { cookie: admin.cookie } })).statusCode, 200);
    const viewer = await memberWithRole(t, a, 'viewer');
    assert.equal((await del(securityAdmin, `/api/v1/organizations/${a.orgId}/bindings/${viewer.bindingId}`)).statusCode, 204);
    // A Tenant Admin may remove another Tenant Admin's binding.
    assert.equal((await del(a.admin, `/api/v1/organizations/${a.orgId}/bindings/${admin.bindingId}`)).statusCode, 204);
  });

  it('AC-1: a project-scoped Tenant Admin cannot remove an organization-wide binding of a role it holds only in its project', async () => {
    const reader = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Org reader', permissions: ['organization.read'] });
    const manager = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Binding manager', permissions: ['access.manage', 'access.read', 'projects.read'] });
    const actor = await memberWithRole(t, a, manager);
    const target = await memberWithRole(t, a, reader);
    assertProblem(await del(actor, `/api/v1/organizations/${a.orgId}/bindings/${target.bindingId}`), 403, 'forbidden');
  });

  it('AUTH-7: an API key holding only api_keys.manage cannot revoke or rotate a Tenant Admin key', async () => {
    const small = await createKey(a.admin, { permissions: ['api_keys.manage'] });
    const big = await createKey(a.admin, { role: 'tenant_admin' });
    assertProblem(await del(small, `/api/v1/organizations/${a.orgId}/api-keys/${big.id}`), 403, 'forbidden');
    const rotate = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/api-keys/${big.id}/rotate`, headers: { authorization: `Bearer ${small.key}` }, payload: {} });
    assertProblem(rotate, 403, 'forbidden');
    // The big key still works.
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { authorization: `Bearer ${big.key}` } })).statusCode, 200);
    // A Security Admin cannot revoke it either; the Tenant Admin can.
    const securityAdmin = await memberWithRole(t, a, 'security_admin');
    assertProblem(await del(securityAdmin, `/api/v1/organizations/${a.orgId}/api-keys/${big.id}`), 403, 'forbidden');
    assert.equal((await del(a.admin, `/api/v1/organizations/${a.orgId}/api-keys/${big.id}`)).statusCode, 204);
    // What the small key holds, it may revoke.
    const peer = await createKey(a.admin, { permissions: ['api_keys.manage'] });
    assert.equal((await del(small, `/api/v1/organizations/${a.orgId}/api-keys/${peer.id}`)).statusCode, 204);
  });

  it('AC-2: a Security Admin cannot delete or narrow a custom role holding a permission it lacks', async () => {
    const securityAdmin = await memberWithRole(t, a, 'security_admin');
    const role = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Secret reader', permissions: ['secrets.read_value', 'organization.read'] });
    assertProblem(await del(securityAdmin, `/api/v1/organizations/${a.orgId}/roles/${role}`), 403, 'forbidden');
    const narrow = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/roles/${role}`, headers: { cookie: securityAdmin.cookie }, payload: { permissions: ['organization.read'] } });
    assertProblem(narrow, 403, 'forbidden');
    assert.equal((await del(a.admin, `/api/v1/organizations/${a.orgId}/roles/${role}`)).statusCode, 204);
  });

  it('AC-1: a Security Admin cannot disable or delete a service account bound to Tenant Admin', async () => {
    const securityAdmin = await memberWithRole(t, a, 'security_admin');
    const account = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/service-accounts`, { name: `robot ${crypto.randomUUID()}` });
    await post(t, a.admin, `/api/v1/organizations/${a.orgId}/bindings`, { principal: { type: 'service_account', id: account }, role: 'tenant_admin' });
    const disable = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/service-accounts/${account}`, headers: { cookie: securityAdmin.cookie }, payload: { disabled: true } });
    assertProblem(disable, 403, 'forbidden');
    assertProblem(await del(securityAdmin, `/api/v1/organizations/${a.orgId}/service-accounts/${account}`), 403, 'forbidden');
    assert.equal((await del(a.admin, `/api/v1/organizations/${a.orgId}/service-accounts/${account}`)).statusCode, 204);
  });

  it('ASVS 7.4.2: ending another member\u2019s sessions needs every permission that member holds here', async () => {
    const sessionsRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Session ender', permissions: ['members.manage', 'members.read', 'organization.read'] });
    const actor = await memberWithRole(t, a, sessionsRole);
    const admin = await memberWithRole(t, a, 'tenant_admin');
    assertProblem(await del(actor, `/api/v1/organizations/${a.orgId}/members/${admin.userId}/sessions`), 403, 'forbidden');
    // The admin's session still works.
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/bindings`, headers: { cookie: admin.cookie } })).statusCode, 200);
    const reader = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Plain reader', permissions: ['organization.read'] });
    const target = await memberWithRole(t, a, reader);
    const ended = await del(actor, `/api/v1/organizations/${a.orgId}/members/${target.userId}/sessions`);
    assert.equal(ended.statusCode, 200, ended.body);
  });

  it('TEN-1: an administrator of B cannot remove bindings, keys or sessions of A, by either organization\u2019s path', async () => {
    const viewer = await memberWithRole(t, a, 'viewer');
    const key = await createKey(a.admin, { permissions: ['organization.read'] });
    assertProblem(await del(b.admin, `/api/v1/organizations/${a.orgId}/bindings/${viewer.bindingId}`), 404, 'not_found');
    assertProblem(await del(b.admin, `/api/v1/organizations/${b.orgId}/bindings/${viewer.bindingId}`), 404, 'not_found');
    assertProblem(await del(b.admin, `/api/v1/organizations/${a.orgId}/api-keys/${key.id}`), 404, 'not_found');
    assertProblem(await del(b.admin, `/api/v1/organizations/${b.orgId}/api-keys/${key.id}`), 404, 'not_found');
    assertProblem(await del(b.admin, `/api/v1/organizations/${b.orgId}/members/${viewer.userId}/sessions`), 404, 'not_found');
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { authorization: `Bearer ${key.key}` } })).statusCode, 200);
  });

  it('AC-1: two Tenant Admins removing each other\u2019s binding at the same time leave one Tenant Admin', async () => {
    // Repeated: without the lock, both removals read two admins before either commits.
    for (let round = 0; round < 5; round++) {
      const org = await createOrg(t, `race${round}`);
      const other = await signUp(t, `race${round}-other`);
      await addMember(t, org.orgId, other.userId);
      await post(t, org.admin, `/api/v1/organizations/${org.orgId}/bindings`, { principal: { type: 'user', id: other.userId }, role: 'tenant_admin' });
      const listing = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/bindings`, headers: { cookie: org.admin.cookie } });
      const bindings = listing.json<{ items: { id: string; principal: { id: string }; role: string }[] }>().items.filter((row) => row.role === 'tenant_admin');
      const of = (userId: string) => bindings.find((row) => row.principal.id === userId)?.id ?? '';
      const results = await Promise.all([
        del(org.admin, `/api/v1/organizations/${org.orgId}/bindings/${of(other.userId)}`),
        del(other, `/api/v1/organizations/${org.orgId}/bindings/${of(org.admin.userId)}`),
      ]);
      // The loser is refused as the last admin (409), or has already lost the right to ask (403).
      assert.equal(results.filter((r) => r.statusCode === 204).length, 1, results.map((r) => `${r.statusCode} ${r.body}`).join(' | '));
      const left = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('role_bindings').select('id').where('tenant_id', '=', org.orgId).where('built_in_role', '=', 'tenant_admin').execute());
      assert.equal(left.length, 1);
    }
  });
});
