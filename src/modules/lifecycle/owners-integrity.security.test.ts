// Issue 13, property 1 (TEN-1): who owns an organization (its deletion notices, and whether its
// last owner may delete their account, DATA-3) is read through the access module's checked read,
// so a Tenant Admin binding inserted by SQL running as parapet_app (an injection) makes nobody an
// owner: the last real owner still cannot leave the organization ownerless.
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

describe('organization owners are MAC-checked bindings (issue 13, TEN-1, DATA-3)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('TEN-1: a Tenant Admin binding inserted by hand for another member does not make them an owner: the only real owner still gets 409 sole_owner', async () => {
    const org = await createOrg(t, 'owners-mac');
    const accomplice = await signUp(t, 'owners-mac-accomplice');
    await addMember(t, org.orgId, accomplice.userId);
    await t.transactor.withTenant(
      org.orgId,
      (tx) => tx.executeQuery(CompiledQuery.raw(`insert into role_bindings (tenant_id, id, principal_type, principal_id, built_in_role, created_at) values ($1, gen_random_uuid(), 'user', $2, 'tenant_admin', now())`, [org.orgId, accomplice.userId])),
      accomplice.userId,
    );
    assertProblem(await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: org.admin.cookie } }), 409, 'sole_owner');
  });
});
