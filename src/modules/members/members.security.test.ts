import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, post, signUp, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

interface MemberBody {
  user_id: string;
  roles?: { role: string }[];
  mfa?: { enabled: boolean };
  last_sign_in_at?: string | null;
  member?: boolean;
  api_keys?: { id: string; suspended: boolean }[];
}

// Issue 14 part 4: members can be listed and removed. Removal ends bindings and sessions and
// suspends the member's keys, under the removal rule (issue 14 part 2) and the last-Tenant-Admin
// guard, also when two removals race; nothing crosses organizations.
describe('members: list and remove (issue 14 part 4, AC-1)', () => {
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

  const remove = (org: { orgId: string }, who: Member, userId: string) => t.inject({ method: 'DELETE', url: `/api/v1/organizations/${org.orgId}/members/${userId}`, headers: { cookie: who.cookie } });
  const get = (who: Member | { key: string }, url: string) => t.inject({ method: 'GET', url, headers: 'key' in who ? { authorization: `Bearer ${who.key}` } : { cookie: who.cookie } });

  it('AC-1: removing a member ends their bindings and sessions, suspends the keys they made (listed on their page), and is audited', async () => {
    const leaver = await memberWithRole(t, a, 'tenant_admin');
    const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/api-keys`, headers: { cookie: leaver.cookie }, payload: { name: 'ci', role: 'tenant_admin' } });
    assert.equal(created.statusCode, 201, created.body);
    const key = created.json<{ id: string; key: string }>();
    assert.equal((await get(key, `/api/v1/organizations/${a.orgId}/bindings`)).statusCode, 200);

    const removed = await remove(a, a.admin, leaver.userId);
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(removed.json(), { bindings_removed: 1, sessions_ended: 1, api_keys_suspended: 1 });
    // Their session is over, and they are no longer a member.
    assertProblem(await get(leaver, `/api/v1/organizations/${a.orgId}`), 401, 'unauthenticated');
    // Their key is suspended: it authenticates but may do nothing.
    assertProblem(await get(key, `/api/v1/organizations/${a.orgId}/bindings`), 403, 'forbidden');
    // Listed on their page, as suspended; gone from the member list.
    const page = (await get(a.admin, `/api/v1/organizations/${a.orgId}/members/${leaver.userId}`)).json<MemberBody>();
    assert.equal(page.member, false);
    assert.deepEqual(page.api_keys?.map((k) => [k.id, k.suspended]), [[key.id, true]]);
    const list = (await get(a.admin, `/api/v1/organizations/${a.orgId}/members?limit=100`)).json<{ items: MemberBody[] }>();
    assert.ok(!list.items.some((m) => m.user_id === leaver.userId));
    const events = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('audit_inbox').select('event').execute());
    assert.ok(events.some((row) => (row.event as { action: string; targets: { id: string }[] }).action === 'member.removed' && (row.event as { targets: { id: string }[] }).targets.some((x) => x.id === leaver.userId)));
    // Removing again answers as for anyone who is not a member.
    assertProblem(await remove(a, a.admin, leaver.userId), 404, 'not_found');
  });

  it('AC-1: a member manager without every permission of a Tenant Admin cannot remove one (403), but can remove a member holding less', async () => {
    const managerRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Member manager', permissions: ['members.manage', 'members.read', 'organization.read'] });
    const manager = await memberWithRole(t, a, managerRole);
    const admin = await memberWithRole(t, a, 'tenant_admin');
    assertProblem(await remove(a, manager, admin.userId), 403, 'forbidden');
    assert.equal((await get(admin, `/api/v1/organizations/${a.orgId}/bindings`)).statusCode, 200, 'the admin keeps their access');
    const readerRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Only reads the org', permissions: ['organization.read'] });
    const reader = await memberWithRole(t, a, readerRole);
    assert.equal((await remove(a, manager, reader.userId)).statusCode, 200);
  });

  it('AC-2: the last Tenant Admin cannot remove themselves (409)', async () => {
    const c = await createOrg(t, 'solo');
    assertProblem(await remove(c, c.admin, c.admin.userId), 409, 'conflict');
    assert.equal((await get(c.admin, `/api/v1/organizations/${c.orgId}/bindings`)).statusCode, 200);
  });

  it('AC-2: two Tenant Admins removing each other at the same time leave one Tenant Admin', async () => {
    for (let round = 0; round < 5; round++) {
      const org = await createOrg(t, `race${round}`);
      const other = await signUp(t, `race${round}-other`);
      await addMember(t, org.orgId, other.userId);
      await post(t, org.admin, `/api/v1/organizations/${org.orgId}/bindings`, { principal: { type: 'user', id: other.userId }, role: 'tenant_admin' });
      const results = await Promise.all([remove(org, org.admin, other.userId), remove(org, other, org.admin.userId)]);
      assert.equal(results.filter((r) => r.statusCode === 200).length, 1, results.map((r) => `${r.statusCode} ${r.body}`).join(' | '));
      const admins = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('role_bindings').select('principal_id').where('tenant_id', '=', org.orgId).where('built_in_role', '=', 'tenant_admin').execute());
      assert.equal(admins.length, 1);
    }
  });

  it('TEN-1: an administrator of B can neither list nor remove members of A, by either organization\u2019s path', async () => {
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await get(b.admin, `/api/v1/organizations/${a.orgId}/members`), 404, 'not_found');
    assertProblem(await get(b.admin, `/api/v1/organizations/${a.orgId}/members/${viewer.userId}`), 404, 'not_found');
    assertProblem(await get(b.admin, `/api/v1/organizations/${b.orgId}/members/${viewer.userId}`), 404, 'not_found');
    assertProblem(await remove(a, b.admin, viewer.userId), 404, 'not_found');
    assertProblem(await remove(b, b.admin, viewer.userId), 404, 'not_found');
    assert.equal((await get(viewer, `/api/v1/organizations/${a.orgId}`)).statusCode, 200);
  });

  it('AC-1: a Viewer lists members without their roles, second factors or last sign-in; a Security Analyst sees them', async () => {
    const viewer = await memberWithRole(t, a, 'viewer');
    const analyst = await memberWithRole(t, a, 'security_analyst');
    const asViewer = (await get(viewer, `/api/v1/organizations/${a.orgId}/members?limit=100`)).json<{ items: MemberBody[] }>();
    const me = asViewer.items.find((m) => m.user_id === viewer.userId);
    assert.ok(me !== undefined);
    assert.equal(me.roles, undefined);
    assert.equal(me.mfa, undefined);
    assert.equal(me.last_sign_in_at, undefined);
    const asAnalyst = (await get(analyst, `/api/v1/organizations/${a.orgId}/members?limit=100`)).json<{ items: MemberBody[] }>();
    const seen = asAnalyst.items.find((m) => m.user_id === viewer.userId);
    assert.deepEqual(seen?.roles?.map((r) => r.role), ['viewer']);
    assert.equal(seen?.mfa?.enabled, false);
    assert.equal(typeof seen?.last_sign_in_at, 'string');
  });
});
