import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, sessionWith, signUp, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

// The two routes the console adds (issue 19): the platform's account list (platform administrators
// only; a search is matched literally) and the caller's own permissions in an organization (only
// their own; nothing about an organization they do not belong to).
describe('console routes: platform accounts and my permissions (issue 19)', () => {
  let t: TestApp;
  let operator: Member;

  before(async () => {
    t = await createTestApp();
    operator = await signUp(t, 'operator', { platformAdmin: true });
  });
  after(async () => {
    await t.close();
  });

  const get = (who: Member | { key: string } | null, url: string) =>
    t.inject({ method: 'GET', url, headers: who === null ? {} : 'key' in who ? { authorization: `Bearer ${who.key}` } : { cookie: who.cookie } });

  it('lists and searches accounts for a platform administrator, without secrets', async () => {
    const email = `findme-${crypto.randomUUID()}@example.com`;
    await t.createUser(email, TEST_PASSWORD);
    const answer = await get(operator, `/api/v1/platform/users?q=${encodeURIComponent(email.toUpperCase())}`);
    assert.equal(answer.statusCode, 200, answer.body);
    const items = answer.json<{ items: Record<string, unknown>[] }>().items;
    assert.deepEqual(items.map((u) => u['email']), [email]);
    assert.deepEqual(Object.keys(items[0] ?? {}).sort(), ['created_at', 'disabled_at', 'display_name', 'email', 'id', 'is_platform_admin']);
  });

  it('refuses the account list to a signed-in user who is not a platform administrator, to an API key, and without a session', async () => {
    const org = await createOrg(t, 'not-operator');
    assertProblem(await get(org.admin, '/api/v1/platform/users'), 403, 'forbidden');
    const key = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers: { cookie: org.admin.cookie }, payload: { name: 'k', role: 'tenant_admin' } });
    assert.equal(key.statusCode, 201, key.body);
    assertProblem(await get({ key: key.json<{ key: string }>().key }, '/api/v1/platform/users'), 403, 'forbidden');
    assertProblem(await get(null, '/api/v1/platform/users'), 401, 'unauthenticated');
  });

  it('matches a search literally: LIKE wildcards and injected SQL find nothing and break nothing', async () => {
    await t.createUser(`plain-${crypto.randomUUID()}@example.com`, TEST_PASSWORD);
    for (const q of ['%', '_', '\\', "' OR '1'='1", "%' OR 1=1 --", 'x%"; DROP TABLE users; --']) {
      const answer = await get(operator, `/api/v1/platform/users?q=${encodeURIComponent(q)}`);
      assert.equal(answer.statusCode, 200, `${q}: ${answer.body}`);
      assert.deepEqual(answer.json<{ items: unknown[] }>().items, [], q);
    }
    assert.equal((await get(operator, '/api/v1/platform/users?limit=2')).json<{ items: unknown[] }>().items.length, 2);
  });

  it('AC-1: my-permissions answers with the caller’s own permissions: all for a Tenant Admin, a Viewer’s few; another organization answers 404, as one that does not exist', async () => {
    const a = await createOrg(t, 'perm-a');
    const b = await createOrg(t, 'perm-b');
    const viewer = await memberWithRole(t, a, 'viewer');
    const admin = await sessionWith(t, a.admin.userId, ['pwd', 'otp', 'mfa']);
    const mine = (who: Member, orgId: string) => get(who, `/api/v1/organizations/${orgId}/my-permissions`).then((r) => r.json<{ permissions: string[] }>().permissions);
    assert.ok((await mine(admin, a.orgId)).includes('members.manage'));
    assert.deepEqual((await mine(viewer, a.orgId)).sort(), ['access.request', 'environments.read', 'members.read', 'organization.read', 'projects.read']);
    for (const who of [viewer, admin]) {
      assertProblem(await get(who, `/api/v1/organizations/${b.orgId}/my-permissions`), 404, 'not_found');
      assertProblem(await get(who, `/api/v1/organizations/${crypto.randomUUID()}/my-permissions`), 404, 'not_found');
    }
  });
});
