import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;
const REASON = 'Rotating the staging credentials';

describe('just-in-time access requests (AC-4)', () => {
  let t: TestApp;
  let a: Org;

  before(async () => {
    t = await createTestApp({ env: { PARAPET_JIT_MAX_HOURS: '1' } });
    a = await createOrg(t, 'jit-fn');
  });
  after(async () => {
    await t.close();
  });

  const url = (path = '') => `/api/v1/organizations/${a.orgId}/access-requests${path}`;
  const ask = (who: Member, payload: object) => t.inject({ method: 'POST', url: url(), headers: { cookie: who.cookie }, payload });

  it('PARAPET_JIT_MAX_HOURS sets the longest grant one may ask for', async () => {
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await ask(viewer, { role: 'viewer', reason: REASON, duration_minutes: 61 }), 400, 'invalid_request');
    assert.equal((await ask(viewer, { role: 'viewer', reason: REASON, duration_minutes: 60 })).statusCode, 201);
  });

  it('a custom role at an environment scope is granted there and nowhere else', async () => {
    const other = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/projects/${a.projectId}/environments`, { name: 'staging', kind: 'staging' });
    const reader = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Environment reader', permissions: ['environments.read'] });
    const askerRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Asker', permissions: ['access.request', 'organization.read'] });
    const requester = await memberWithRole(t, a, askerRole);
    const created = await ask(requester, { role: reader, scope: { project_id: a.projectId, environment_id: a.environmentId }, reason: REASON, duration_minutes: 30 });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers['location'], url(`/${created.json<{ id: string }>().id}`));
    const env = (id: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/projects/${a.projectId}/environments/${id}`, headers: { cookie: requester.cookie } });
    assertProblem(await env(a.environmentId), 403, 'forbidden');
    const approved = await t.inject({ method: 'POST', url: url(`/${created.json<{ id: string }>().id}/approve`), headers: { cookie: a.admin.cookie } });
    assert.equal(approved.statusCode, 200, approved.body);
    assert.deepEqual(approved.json<{ scope: object }>().scope, { project_id: a.projectId, environment_id: a.environmentId });
    assert.equal((await env(a.environmentId)).statusCode, 200);
    assertProblem(await env(other), 403, 'forbidden');
  });

  it('a support grant the approver cannot give leaves no pending request behind', async () => {
    const email = `ops-${crypto.randomUUID()}@ops.example.com`;
    const operator = await t.createUser(email, TEST_PASSWORD, { platformAdmin: true });
    const approverRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Narrow approver', permissions: ['access.approve', 'organization.read'] });
    const approver = await memberWithRole(t, a, approverRole);
    assertProblem(await ask(approver, { role: 'tenant_admin', reason: REASON, duration_minutes: 30, principal_id: operator.id, approved: true }), 403, 'forbidden');
    const pending = await t.inject({ method: 'GET', url: url('?status=pending&limit=100'), headers: { cookie: a.admin.cookie } });
    assert.ok(!pending.json<{ items: { principal_id: string }[] }>().items.some((i) => i.principal_id === operator.id));
  });

  it('lists filter by status and page with cursors', async () => {
    const requester = await memberWithRole(t, a, 'viewer');
    for (let i = 0; i < 3; i++) assert.equal((await ask(requester, { role: 'viewer', reason: `${REASON} ${i}`, duration_minutes: 10 })).statusCode, 201);
    const first = await t.inject({ method: 'GET', url: url('?limit=2&status=pending'), headers: { cookie: requester.cookie } });
    const page = first.json<{ items: { status: string }[]; next_cursor: string | null }>();
    assert.equal(page.items.length, 2);
    assert.ok(page.items.every((i) => i.status === 'pending'));
    const second = await t.inject({ method: 'GET', url: url(`?limit=2&status=pending&cursor=${page.next_cursor ?? ''}`), headers: { cookie: requester.cookie } });
    assert.equal(second.json<{ items: unknown[] }>().items.length, 1);
  });
});
