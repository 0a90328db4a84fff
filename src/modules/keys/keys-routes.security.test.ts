import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, signUp, type Member } from '../../../test/support/access.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';

// GET /api/v1/platform/keys (the console's platform page): platform administrators only, and never
// key material or where the root key is.
describe('the root key status route (issue 19, ENC-2)', () => {
  let t: TestApp;
  let operator: Member;

  before(async () => {
    t = await createTestApp();
    operator = await signUp(t, 'keys-operator', { platformAdmin: true });
  });
  after(async () => {
    await t.close();
  });

  const get = (headers: Record<string, string>) => t.inject({ method: 'GET', url: '/api/v1/platform/keys', headers });

  it('ENC-2: answers a platform administrator with the provider, root versions and rotation settings — no key material, no keyring path', async () => {
    const answer = await get({ cookie: operator.cookie });
    assert.equal(answer.statusCode, 200, answer.body);
    const body = answer.json<Record<string, unknown> & { root_versions: { primary: boolean }[] }>();
    assert.deepEqual(Object.keys(body).sort(), ['primary_root', 'primary_since', 'provider', 'root_versions', 'tenant_key_max_encryptions', 'tenant_key_rotation_days']);
    assert.equal(body.root_versions.filter((v) => v.primary).length, 1);
    assert.doesNotMatch(answer.body, /keyring|\.parapet|arn:aws/i);
  });

  it('answers a Tenant Admin, an organization\u2019s API key and a stranger as if the route did not exist, and refuses no session', async () => {
    const org = await createOrg(t, 'keys-tenant');
    assertProblem(await get({ cookie: org.admin.cookie }), 404, 'not_found');
    const key = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers: { cookie: org.admin.cookie }, payload: { name: 'k', role: 'tenant_admin' } });
    assert.equal(key.statusCode, 201, key.body);
    const byKey = await get({ authorization: `Bearer ${key.json<{ key: string }>().key}` });
    assert.ok(byKey.statusCode === 403 || byKey.statusCode === 404, byKey.body);
    assertProblem(await get({}), 401, 'unauthenticated');
  });
});
