// Issue 13, property 1 (TEN-1): the members listing reads role bindings through the access
// module's checked read, so a binding inserted or altered by SQL running as parapet_app (an
// injection in one of the organization's requests) is not shown as a member's role.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole } from '../../../test/support/access.ts';

describe('members listing shows only MAC-checked role bindings (issue 13, TEN-1)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('TEN-1: a Tenant Admin binding inserted by hand, or a binding raised by hand, is not listed as the member\'s role', async () => {
    const org = await createOrg(t, 'members-mac');
    const viewer = await memberWithRole(t, org, 'viewer');
    const raised = await memberWithRole(t, org, 'viewer');
    await t.transactor.withTenant(
      org.orgId,
      async (tx) => {
        await tx.executeQuery(CompiledQuery.raw(`insert into role_bindings (tenant_id, id, principal_type, principal_id, built_in_role, created_at) values ($1, gen_random_uuid(), 'user', $2, 'tenant_admin', now())`, [org.orgId, viewer.userId]));
        await tx.executeQuery(CompiledQuery.raw(`update role_bindings set built_in_role = 'tenant_admin' where id = $1`, [raised.bindingId]));
      },
      viewer.userId,
    );
    const listed = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/members?limit=100`, headers: { cookie: org.admin.cookie } });
    assert.equal(listed.statusCode, 200);
    const roles = (userId: string) => listed.json<{ items: { user_id: string; roles?: { role: string }[] }[] }>().items.find((m) => m.user_id === userId)?.roles?.map((r) => r.role);
    assert.deepEqual(roles(viewer.userId), ['viewer']);
    assert.deepEqual(roles(raised.userId), []);
    assert.deepEqual(roles(org.admin.userId), ['tenant_admin'], 'the real binding is listed');
  });
});
