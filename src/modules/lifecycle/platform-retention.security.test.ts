import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, signUp, type Member } from '../../../test/support/access.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';

// GET /api/v1/platform/retention (the console's platform page): platform administrators only.
describe('the platform retention route (issue 19, DATA-1)', () => {
  let t: TestApp;
  let operator: Member;

  before(async () => {
    t = await createTestApp();
    operator = await signUp(t, 'retention-operator', { platformAdmin: true });
  });
  after(async () => {
    await t.close();
  });

  const get = (headers: Record<string, string>) => t.inject({ method: 'GET', url: '/api/v1/platform/retention', headers });

  it('DATA-1: lists every data type with its platform period, bounds and scope for a platform administrator', async () => {
    const answer = await get({ cookie: operator.cookie });
    assert.equal(answer.statusCode, 200, answer.body);
    const items = answer.json<{ items: { type: string; days: number; min_days: number; max_days: number; scope: string }[] }>().items;
    assert.ok(items.some((p) => p.scope === 'tenant') && items.some((p) => p.scope === 'platform'), JSON.stringify(items));
    for (const p of items) assert.ok(p.min_days <= p.days && p.days <= p.max_days, p.type);
  });

  it('answers a Tenant Admin as if the route did not exist, and refuses no session', async () => {
    const org = await createOrg(t, 'retention-tenant');
    assertProblem(await get({ cookie: org.admin.cookie }), 404, 'not_found');
    assertProblem(await get({}), 401, 'unauthenticated');
  });
});
