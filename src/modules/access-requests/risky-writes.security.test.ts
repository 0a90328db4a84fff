import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { allowRiskyWrites, secondAdmin } from '../../../test/support/risky-writes.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

describe('risky writes: off by default, behind a second administrator when enabled (AC-7)', () => {
  let t: TestApp;
  let a: Org;

  before(async () => {
    t = await createTestApp();
    a = await createOrg(t, 'risky');
  });
  after(async () => {
    await t.close();
  });

  const url = (path: string) => `/api/v1/organizations/${a.orgId}${path}`;
  const as = (who: Member, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: object) =>
    t.inject({ method, url: url(path), headers: { cookie: who.cookie }, ...(payload === undefined ? {} : { payload }) });
  const newProject = async (name: string) => post(t, a.admin, url('/projects'), { name });

  async function actions(): Promise<string[]> {
    await t.app.services.audit.apiCalls.flush();
    await t.app.services.audit.sequencer.drain();
    const rows = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('audit_events').select('action').where('tenant_id', '=', a.orgId).orderBy('seq').execute());
    return rows.map((row) => row.action);
  }

  it('AC-7: by default, deleting an organization, a project or an environment is refused with risky_write_disabled and nothing is deleted', async () => {
    const setting = await as(a.admin, 'GET', '/settings/risky-writes');
    assert.equal(setting.json<{ mode: string }>().mode, 'disabled');
    assert.deepEqual(setting.json<{ operations: string[] }>().operations.sort(), ['environment.delete', 'organization.delete', 'project.delete']);
    assertProblem(await as(a.admin, 'DELETE', `/projects/${a.projectId}/environments/${a.environmentId}`), 403, 'risky_write_disabled');
    assertProblem(await as(a.admin, 'DELETE', `/projects/${a.projectId}`), 403, 'risky_write_disabled');
    assertProblem(await as(a.admin, 'DELETE', ''), 403, 'risky_write_disabled');
    assert.equal((await as(a.admin, 'GET', `/projects/${a.projectId}/environments/${a.environmentId}`)).statusCode, 200);
    assert.equal((await as(a.admin, 'GET', '')).statusCode, 200);
    // A target that does not exist is still a 404, whatever the setting.
    assertProblem(await as(a.admin, 'DELETE', `/projects/${crypto.randomUUID()}`), 404, 'not_found');
  });

  it('AC-7: changing the setting takes settings.manage and is audited', async () => {
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await as(viewer, 'PUT', '/settings/risky-writes', { mode: 'approval' }), 403, 'forbidden');
    assert.equal((await as(a.admin, 'GET', '/settings/risky-writes')).json<{ mode: string }>().mode, 'disabled');
    await allowRiskyWrites(t, a.orgId, a.admin.cookie);
    const changed = await as(a.admin, 'GET', '/settings/risky-writes');
    assert.equal(changed.json<{ mode: string; updated_by: string }>().mode, 'approval');
    assert.equal(changed.json<{ updated_by: string }>().updated_by, a.admin.userId);
    assert.ok((await actions()).includes('settings.risky_writes_changed'));
  });

  it('AC-7: with approval enabled, a deletion waits until a second administrator approves it, and the requester cannot approve their own', async () => {
    await allowRiskyWrites(t, a.orgId, a.admin.cookie);
    const projectId = await newProject('Pending deletion');
    const queued = await as(a.admin, 'DELETE', `/projects/${projectId}`);
    assert.equal(queued.statusCode, 202, queued.body);
    const approvalId = queued.json<{ approval_id: string }>().approval_id;
    assert.equal(queued.headers['location'], url(`/approvals/${approvalId}`));
    assert.equal((await as(a.admin, 'GET', `/projects/${projectId}`)).statusCode, 200, 'deleted before approval');

    assertProblem(await as(a.admin, 'POST', `/approvals/${approvalId}/approve`), 403, 'self_approval_refused');
    assert.equal((await as(a.admin, 'GET', `/projects/${projectId}`)).statusCode, 200, 'deleted by its own requester');
    assert.equal((await as(a.admin, 'GET', `/approvals/${approvalId}`)).json<{ status: string }>().status, 'pending');

    const second = await secondAdmin(t, a);
    const approved = await as(second, 'POST', `/approvals/${approvalId}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json<{ status: string; decided_by: string }>().decided_by, second.userId);
    assertProblem(await as(a.admin, 'GET', `/projects/${projectId}`), 404, 'not_found');
    assertProblem(await as(second, 'POST', `/approvals/${approvalId}/approve`), 409, 'conflict');
    const log = await actions();
    assert.ok(log.indexOf('risky_write.requested') < log.indexOf('risky_write.approved') && log.includes('project.deleted'));
  });

  it('AC-7: an approver holding access.approve but not the operation\u2019s own permission cannot approve it', async () => {
    await allowRiskyWrites(t, a.orgId, a.admin.cookie);
    const approverRole = await post(t, a.admin, url('/roles'), { name: 'Approves but cannot delete', permissions: ['access.approve', 'organization.read', 'projects.read'] });
    const approver = await memberWithRole(t, a, approverRole);
    const projectId = await newProject('Guarded');
    const approvalId = (await as(a.admin, 'DELETE', `/projects/${projectId}`)).json<{ approval_id: string }>().approval_id;
    assertProblem(await as(approver, 'POST', `/approvals/${approvalId}/approve`), 403, 'forbidden');
    assert.equal((await as(a.admin, 'GET', `/projects/${projectId}`)).statusCode, 200);
    assert.equal((await as(a.admin, 'GET', `/approvals/${approvalId}`)).json<{ status: string }>().status, 'pending');
    // A project-scoped deleter cannot approve deleting a project it does not hold either.
    const projectAdmin = await memberWithRole(t, a, 'tenant_admin', { project_id: a.projectId });
    assertProblem(await as(projectAdmin, 'POST', `/approvals/${approvalId}/approve`), 403, 'forbidden');
    // And someone without access.approve is stopped at the route.
    const viewer = await memberWithRole(t, a, 'viewer');
    assertProblem(await as(viewer, 'POST', `/approvals/${approvalId}/approve`), 403, 'forbidden');
  });

  it('AC-7: a rejected approval never runs, and switching risky writes off stops pending ones', async () => {
    await allowRiskyWrites(t, a.orgId, a.admin.cookie);
    const second = await secondAdmin(t, a);
    const first = await newProject('Rejected');
    const rejectedId = (await as(a.admin, 'DELETE', `/projects/${first}`)).json<{ approval_id: string }>().approval_id;
    assert.equal((await as(second, 'POST', `/approvals/${rejectedId}/reject`)).json<{ status: string }>().status, 'rejected');
    assertProblem(await as(second, 'POST', `/approvals/${rejectedId}/approve`), 409, 'conflict');
    const other = await newProject('Switched off');
    const pendingId = (await as(a.admin, 'DELETE', `/projects/${other}`)).json<{ approval_id: string }>().approval_id;
    assert.equal((await as(a.admin, 'PUT', '/settings/risky-writes', { mode: 'disabled' })).statusCode, 200);
    assertProblem(await as(second, 'POST', `/approvals/${pendingId}/approve`), 403, 'risky_write_disabled');
    for (const id of [first, other]) assert.equal((await as(a.admin, 'GET', `/projects/${id}`)).statusCode, 200);
    const pending = await as(a.admin, 'GET', '/approvals?status=pending');
    assert.ok(pending.json<{ items: { id: string }[] }>().items.some((i) => i.id === pendingId));
  });

  it('AC-7: deleting the organization itself goes through the same approval', async () => {
    const b = await createOrg(t, 'doomed');
    await allowRiskyWrites(t, b.orgId, b.admin.cookie);
    const second = await secondAdmin(t, b);
    const queued = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${b.orgId}`, headers: { cookie: b.admin.cookie } });
    assert.equal(queued.statusCode, 202);
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${b.orgId}`, headers: { cookie: b.admin.cookie } })).statusCode, 200);
    const approved = await t.inject({ method: 'POST', url: `${String(queued.headers['location'])}/approve`, headers: { cookie: second.cookie } });
    assert.equal(approved.statusCode, 200, approved.body);
    // DATA-3: the approved deletion starts the grace period; the organization is read-only until purged.
    const deletion = await t.inject({ method: 'GET', url: `/api/v1/organizations/${b.orgId}/deletion`, headers: { cookie: b.admin.cookie } });
    assert.equal(deletion.json<{ status: string }>().status, 'pending');
    assertProblem(await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${b.orgId}`, headers: { cookie: b.admin.cookie }, payload: { name: 'Renamed' } }), 409, 'organization_pending_deletion');
  });
});
