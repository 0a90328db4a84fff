import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, post, signUp, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { apiRoutes, urlFor } from '../../../test/support/routes.ts';
import { sampleFromSchema } from '../../../test/support/schema-sample.ts';
import { manualClock } from '../../platform/clock.ts';
import { BUILT_IN_ROLES } from './permissions.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

describe('access control: privilege escalation and scope (AC-1, AC-2)', () => {
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

  const bind = (org: Org, who: Member, payload: object) => t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/bindings`, headers: { cookie: who.cookie }, payload });

  it('AC-2: an administrator holding access.manage without audit.read cannot grant audit.read, through a built-in or a custom role', async () => {
    const managerRole = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Access manager', permissions: ['access.manage', 'access.read', 'organization.read'] });
    const manager = await memberWithRole(t, a, managerRole);
    const target = await signUp(t, 'target');
    await addMember(t, a.orgId, target.userId);
    assertProblem(await bind(a, manager, { principal: { type: 'user', id: target.userId }, role: 'auditor' }), 403, 'forbidden');
    const roleAttempt = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/roles`, headers: { cookie: manager.cookie }, payload: { name: 'Sneaky', permissions: ['audit.read'] } });
    assertProblem(roleAttempt, 403, 'forbidden');
    // What it does hold, it can grant.
    const own = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/roles`, headers: { cookie: manager.cookie }, payload: { name: 'Reader', permissions: ['organization.read'] } });
    assert.equal(own.statusCode, 201, own.body);
    // Widening an existing custom role is an escalation too.
    const widen = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/roles/${own.json<{ id: string }>().id}`, headers: { cookie: manager.cookie }, payload: { permissions: ['organization.read', 'audit.export'] } });
    assertProblem(widen, 403, 'forbidden');
  });

  it('AC-1: a Tenant Admin bound to one project cannot bind roles at organization scope or in a sibling project', async () => {
    const sibling = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/projects`, { name: 'Sibling' });
    const projectAdmin = await memberWithRole(t, a, 'tenant_admin', { project_id: a.projectId });
    const target = await signUp(t, 'target2');
    await addMember(t, a.orgId, target.userId);
    // The route itself needs access.manage at the organization.
    assertProblem(await bind(a, projectAdmin, { principal: { type: 'user', id: target.userId }, role: 'viewer' }), 403, 'forbidden');
    assertProblem(await bind(a, projectAdmin, { principal: { type: 'user', id: target.userId }, role: 'viewer', scope: { project_id: sibling } }), 403, 'forbidden');
  });

  it('AC-1: an administrator of A cannot bind roles in B, nor bind a user of B into A', async () => {
    const outsider = await signUp(t, 'outsider');
    await addMember(t, b.orgId, outsider.userId);
    assertProblem(await bind(b, a.admin, { principal: { type: 'user', id: a.admin.userId }, role: 'tenant_admin' }), 404, 'not_found');
    const intoA = await bind(a, a.admin, { principal: { type: 'user', id: outsider.userId }, role: 'viewer' });
    assertProblem(intoA, 400, 'invalid_request');
    // The same answer for a user id that exists nowhere: nothing about other tenants leaks.
    const nobody = await bind(a, a.admin, { principal: { type: 'user', id: crypto.randomUUID() }, role: 'viewer' });
    assert.equal(nobody.body.replace(/"request_id":"[^"]+"/, ''), intoA.body.replace(/"request_id":"[^"]+"/, ''));
    // A project of B as the scope of a binding in A is refused.
    assertProblem(await bind(a, a.admin, { principal: { type: 'user', id: a.admin.userId }, role: 'viewer', scope: { project_id: b.projectId } }), 400, 'invalid_request');
  });

  it('AC-1: a project-scoped binding grants nothing in a sibling project, and an environment of the sibling is judged as the sibling', async () => {
    const sibling = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/projects`, { name: 'Sibling 2' });
    const siblingEnv = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/projects/${sibling}/environments`, { name: 'staging', kind: 'staging' });
    const viewer = await memberWithRole(t, a, 'viewer', { project_id: a.projectId });
    const get = (url: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}${url}`, headers: { cookie: viewer.cookie } });
    assert.equal((await get(`/projects/${a.projectId}`)).statusCode, 200);
    assert.equal((await get(`/projects/${a.projectId}/environments/${a.environmentId}`)).statusCode, 200);
    assertProblem(await get(`/projects/${sibling}`), 403, 'forbidden');
    assertProblem(await get(`/projects/${sibling}/environments/${siblingEnv}`), 403, 'forbidden');
    // The path claims the viewer's project, but the environment belongs to the sibling.
    assertProblem(await get(`/projects/${a.projectId}/environments/${siblingEnv}`), 403, 'forbidden');
    // Organization-level reads are not granted by a project binding.
    assertProblem(await get(''), 403, 'forbidden');
  });

  it('AC-1: an environment-scoped binding reaches only that environment', async () => {
    const other = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/projects/${a.projectId}/environments`, { name: 'dev', kind: 'development' });
    const viewer = await memberWithRole(t, a, 'viewer', { project_id: a.projectId, environment_id: a.environmentId });
    const get = (env: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/projects/${a.projectId}/environments/${env}`, headers: { cookie: viewer.cookie } });
    assert.equal((await get(a.environmentId)).statusCode, 200);
    assertProblem(await get(other), 403, 'forbidden');
  });

  it('AC-2: the Auditor role can read and export audit data and do nothing else', async () => {
    const auditor = await memberWithRole(t, a, 'auditor');
    const allowed = new Set(BUILT_IN_ROLES.auditor.permissions as readonly string[]);
    const params = { orgId: a.orgId, projectId: a.projectId, environmentId: a.environmentId };
    let reads = 0;
    for (const route of apiRoutes(t.app).filter((r) => r.params.includes('orgId'))) {
      const payload = route.body === undefined ? undefined : sampleFromSchema(route.body, { uuid: () => a.projectId, string: () => 'auditor probe' });
      const response = await t.inject({ method: route.method as 'GET', url: urlFor(route, { ...params, eventId: crypto.randomUUID(), destinationId: crypto.randomUUID(), roleId: 'viewer', bindingId: auditor.bindingId, serviceAccountId: crypto.randomUUID(), requestId: crypto.randomUUID(), alertId: crypto.randomUUID(), approvalId: crypto.randomUUID(), keyId: crypto.randomUUID(), clientId: crypto.randomUUID(), userId: crypto.randomUUID(), invitationId: crypto.randomUUID(), passkeyId: crypto.randomUUID(), sessionId: crypto.randomUUID(), connectionId: crypto.randomUUID(), domainId: crypto.randomUUID(), applicationId: crypto.randomUUID(), resourceServerId: crypto.randomUUID(), directoryId: crypto.randomUUID(), mappingId: crypto.randomUUID(), ruleId: crypto.randomUUID(), linkId: crypto.randomUUID(), secretName: 'AUDITOR_PROBE' }), headers: { cookie: auditor.cookie }, ...(payload === undefined ? {} : { payload: payload as object }) });
      const permission = route.permission;
      // The caller's own view: my-permissions lists what the auditor holds, which is the point.
      if (route.path.endsWith('/my-permissions')) {
        assert.ok(response.statusCode === 200, `${route.method} ${route.path}: ${response.statusCode}`);
        continue;
      }
      if (permission !== undefined && allowed.has(permission)) {
        reads++;
        assert.ok(response.statusCode < 400 || response.statusCode === 404 || response.statusCode === 400, `${route.method} ${route.path}: ${response.statusCode} ${response.body}`);
      } else {
        assert.ok(response.statusCode === 403 || response.statusCode === 400, `${route.method} ${route.path} (${String(permission)}) let the auditor through: ${response.statusCode}`);
      }
    }
    assert.ok(reads >= 6, `only ${reads} audit routes checked`);
    const events = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/audit/events`, headers: { cookie: auditor.cookie } });
    assert.equal(events.statusCode, 200);
  });

  it('AC-1: removing a binding takes effect on a second node within 1 s (change feed, no restart)', async () => {
    const second = await createTestApp({ database: t.database });
    try {
      const viewer = await memberWithRole(t, a, 'viewer');
      const read = () => second.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie: viewer.cookie } });
      assert.equal((await read()).statusCode, 200);
      assert.equal((await read()).statusCode, 200, 'served from the second node\u2019s cache');
      // The id spelled in capitals (UUIDs are case-insensitive) must still reach the right cache entry.
      const removed = await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${a.orgId.toUpperCase()}/bindings/${viewer.bindingId.toUpperCase()}`, headers: { cookie: a.admin.cookie } });
      assert.equal(removed.statusCode, 204);
      const started = Date.now();
      let status = 200;
      while (Date.now() - started < 1000) {
        status = (await read()).statusCode;
        if (status === 403) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(status, 403, 'the second node still allowed the removed binding after 1 s');
    } finally {
      await second.close();
    }
  });

  it('AC-2: the last Tenant Admin binding cannot be removed', async () => {
    const c = await createOrg(t, 'c');
    const list = await t.inject({ method: 'GET', url: `/api/v1/organizations/${c.orgId}/bindings`, headers: { cookie: c.admin.cookie } });
    const only = list.json<{ items: { id: string }[] }>().items[0]!;
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${c.orgId}/bindings/${only.id}`, headers: { cookie: c.admin.cookie } }), 409, 'conflict');
  });
});

describe('access control: expiry and conditions (AC-3)', () => {
  const clock = manualClock(new Date('2026-06-01T08:30:00Z')); // a Monday, 10:30 in Berlin
  let t: TestApp;
  let a: Org;

  before(async () => {
    t = await createTestApp({ clock });
    a = await createOrg(t, 'cond');
  });
  after(async () => {
    await t.close();
  });

  const readOrg = (who: Member, headers: Record<string, string> = {}) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie: who.cookie, ...headers } });

  it('AC-1: an expiring binding is refused at the second it expires', async () => {
    const expires = new Date(clock.now().getTime() + 60_000);
    const viewer = await memberWithRole(t, a, 'viewer', {}, { expires_at: expires.toISOString() });
    clock.set(new Date(expires.getTime() - 1));
    assert.equal((await readOrg(viewer)).statusCode, 200);
    clock.set(expires);
    assertProblem(await readOrg(viewer), 403, 'forbidden');
    clock.set(new Date('2026-06-01T08:30:00Z'));
  });

  it('AC-3: a binding that requires MFA says so to a password-only session', async () => {
    const viewer = await memberWithRole(t, a, 'viewer', {}, { conditions: { mfa: true } });
    const response = await readOrg(viewer);
    assertProblem(response, 403, 'mfa_required');
    assert.ok(!response.body.includes(a.admin.userId));
  });

  it('AC-3: a binding limited to a CIDR list refuses other addresses (IPv4 and IPv6)', async () => {
    const viewer = await memberWithRole(t, a, 'viewer', {}, { conditions: { ip: ['10.1.0.0/16', '2001:db8::/32'] } });
    const from = (remoteAddress: string) => t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}`, headers: { cookie: viewer.cookie }, remoteAddress });
    assertProblem(await from('127.0.0.1'), 403, 'ip_not_allowed');
    assert.equal((await from('10.1.200.3')).statusCode, 200);
    assert.equal((await from('2001:db8:1::5')).statusCode, 200);
    assertProblem(await from('2001:db9::5'), 403, 'ip_not_allowed');
  });

  it('AC-3: a binding limited to hours and days in a time zone refuses outside them', async () => {
    // Sessions idle out after 30 minutes, so the clock moves by minutes here.
    const viewer = await memberWithRole(t, a, 'viewer', {}, { conditions: { time: { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '09:00', end: '10:45' } } });
    assert.equal((await readOrg(viewer)).statusCode, 200);
    clock.set(new Date('2026-06-01T08:45:00Z')); // 10:45 in Berlin: the window has just closed
    assertProblem(await readOrg(viewer), 403, 'outside_time_window');
    const weekend = await memberWithRole(t, a, 'viewer', {}, { conditions: { time: { timezone: 'Europe/Berlin', days: [6, 7], start: '00:00', end: '23:59' } } });
    assertProblem(await readOrg(weekend), 403, 'outside_time_window'); // a Monday
    clock.set(new Date('2026-06-01T08:30:00Z'));
  });

  it('AC-3: invalid conditions are refused with the field at fault', async () => {
    const member = await signUp(t, 'bad-cond');
    await addMember(t, a.orgId, member.userId);
    for (const conditions of [{ ip: ['10.0.0.0/33'] }, { time: { timezone: 'Mars/Olympus', start: '09:00', end: '17:00' } }, { time: { timezone: 'UTC', start: '09:00', end: '09:00' } }]) {
      const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/bindings`, headers: { cookie: a.admin.cookie }, payload: { principal: { type: 'user', id: member.userId }, role: 'viewer', conditions } });
      assertProblem(response, 400, 'invalid_request');
    }
  });
});
