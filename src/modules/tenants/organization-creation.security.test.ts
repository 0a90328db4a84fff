// Who may create organizations is a platform setting (issue 14: any signed-in user, a viewer
// included, could create unlimited organizations). By default only platform administrators may;
// with PARAPET_ORGANIZATION_CREATORS=any_user each user may have created at most
// PARAPET_ORGANIZATIONS_PER_USER, parallel requests included.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

const create = (t: TestApp, cookie: string, name: string) => t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name }, headers: { cookie } });

describe('organization creation policy', () => {
  let defaults: TestApp;
  let open: TestApp;

  before(async () => {
    defaults = await createTestApp({ env: { PARAPET_ORGANIZATION_CREATORS: 'platform_admins', PARAPET_ORGANIZATIONS_PER_USER: '10' } });
    open = await createTestApp({ env: { PARAPET_ORGANIZATION_CREATORS: 'any_user', PARAPET_ORGANIZATIONS_PER_USER: '3' } });
  });
  after(async () => {
    await defaults.close();
    await open.close();
  });

  it('by default refuses organization creation to a user who is not a platform administrator', async () => {
    const user = await signUp(defaults, 'plain');
    assertProblem(await create(defaults, user.cookie, 'Mine'), 403, 'organization_creation_restricted');
    const listed = await defaults.inject({ method: 'GET', url: '/api/v1/organizations', headers: { cookie: user.cookie } });
    assert.equal(listed.json<{ items: unknown[] }>().items.length, 0);
  });

  it('by default lets a platform administrator create organizations, beyond the per-user limit', async () => {
    const operator = await signUp(defaults, 'operator', { platformAdmin: true });
    for (let i = 0; i < 11; i++) assert.equal((await create(defaults, operator.cookie, `Customer ${i}`)).statusCode, 201);
  });

  it('with any_user, a user may create up to the limit and no more', async () => {
    const user = await signUp(open, 'limited');
    for (let i = 0; i < 3; i++) assert.equal((await create(open, user.cookie, `Org ${i}`)).statusCode, 201);
    assertProblem(await create(open, user.cookie, 'One too many'), 403, 'organization_limit_reached');
    const other = await signUp(open, 'other');
    assert.equal((await create(open, other.cookie, 'Theirs')).statusCode, 201);
  });

  it('parallel creations by one user do not pass the limit together', async () => {
    const user = await signUp(open, 'burst');
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => create(open, user.cookie, `Burst ${i}`)));
    assert.equal(responses.filter((r) => r.statusCode === 201).length, 3);
    for (const response of responses.filter((r) => r.statusCode !== 201)) assertProblem(response, 403, 'organization_limit_reached');
  });

  it('an API key cannot create organizations', async () => {
    const user = await signUp(open, 'keyholder');
    const orgId = (await create(open, user.cookie, 'Keyed')).json<{ id: string }>().id;
    const key = (await open.inject({ method: 'POST', url: `/api/v1/organizations/${orgId}/api-keys`, payload: { name: 'k', permissions: ['organization.read'] }, headers: { cookie: user.cookie } })).json<{ key: string }>().key;
    const response = await open.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'By key' }, headers: { authorization: `Bearer ${key}` } });
    assert.equal(response.statusCode, 403, response.body);
  });
});
