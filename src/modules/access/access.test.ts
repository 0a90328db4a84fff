import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, post, signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { apiRoutes } from '../../../test/support/routes.ts';
import { manualClock } from '../../platform/clock.ts';
import { createLocalAuthorizer } from '../../sdk/index.ts';
import { registerAuthorization } from './access-hook.ts';
import { compileConditions } from './conditions.ts';
import { ALL_PERMISSIONS, BUILT_IN_ROLES } from './permissions.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

describe('access control API (AC-1, AC-2, AC-5)', () => {
  const clock = manualClock(new Date('2026-01-05T10:00:00Z'));
  let t: TestApp;
  let a: Org;
  let b: Org;

  before(async () => {
    t = await createTestApp({ clock });
    a = await createOrg(t, 'a');
    b = await createOrg(t, 'b');
  });
  after(async () => {
    await t.close();
  });

  it('AC-1: every /api/v1 route declares a catalogue permission, self or public, and the OpenAPI document shows it', () => {
    const routes = apiRoutes(t.app);
    assert.ok(routes.length > 30);
    for (const route of routes) {
      assert.ok(route.permission !== undefined, `${route.method} ${route.path} declares no permission`);
      assert.ok(route.permission === 'self' || route.permission === 'public' || (ALL_PERMISSIONS as readonly string[]).includes(route.permission), `${route.path}: ${route.permission}`);
    }
  });

  it('AC-1: a route without a permission, or with one not in the catalogue, stops the app from starting', async () => {
    // The types refuse an unknown permission already; the start-up check is for what they cannot see.
    const configs: object[] = [{}, { permission: 'everything.allowed' }, { permission: 'audit.read' }];
    for (const config of configs) {
      const app = Fastify();
      registerAuthorization(app, { access: t.app.services.access, actorOf: () => ({ type: 'anonymous', id: null, display_name: null }), sourceOf: () => ({ ip: null, user_agent: null, request_id: null }) });
      assert.throws(() => app.get('/api/v1/unguarded', { config }, async () => 'open'), /declares (no|unknown) permission|names no organization/);
      await app.close();
    }
  });

  it('AC-2: lists the built-in roles with their permissions, and custom roles beside them', async () => {
    const custom = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/roles`, { name: 'Release manager', permissions: ['environments.update', 'environments.read'] });
    const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/roles`, headers: { cookie: a.admin.cookie } });
    const roles = response.json<{ items: { id: string; built_in: boolean; permissions: string[] }[] }>().items;
    assert.deepEqual(roles.filter((r) => r.built_in).map((r) => r.id), ['tenant_admin', 'security_admin', 'security_analyst', 'viewer', 'auditor', 'service_account']);
    assert.deepEqual(roles.find((r) => r.id === custom)?.permissions, ['environments.update', 'environments.read']);
    const catalogue = await t.inject({ method: 'GET', url: '/api/v1/permissions' });
    assert.equal(catalogue.json<{ permissions: unknown[] }>().permissions.length, ALL_PERMISSIONS.length);
    // A duplicate name conflicts; unknown permissions are refused by name.
    assertProblem(await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/roles`, headers: { cookie: a.admin.cookie }, payload: { name: 'release MANAGER', permissions: ['audit.read'] } }), 409, 'conflict');
    const unknown = assertProblem(await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/roles`, headers: { cookie: a.admin.cookie }, payload: { name: 'X', permissions: ['audit.obliterate'] } }), 400, 'invalid_request');
    assert.match(JSON.stringify(unknown), /audit\.obliterate/);
    // A bound custom role cannot be deleted; built-in roles cannot be changed.
    const member = await memberWithRole(t, a, custom);
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${a.orgId}/roles/${custom}`, headers: { cookie: a.admin.cookie } }), 409, 'conflict');
    assertProblem(await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/roles/viewer`, headers: { cookie: a.admin.cookie }, payload: { name: 'Mine' } }), 409, 'conflict');
    // Changing a custom role's permissions changes what its holders may do at once.
    const rename = (id: string) => t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/projects/${a.projectId}/environments/${a.environmentId}`, headers: { cookie: member.cookie }, payload: { name: id } });
    assert.equal((await rename('prod')).statusCode, 200);
    const narrowed = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/roles/${custom}`, headers: { cookie: a.admin.cookie }, payload: { permissions: ['environments.read'] } });
    assert.equal(narrowed.statusCode, 200, narrowed.body);
    assertProblem(await rename('prod2'), 403, 'forbidden');
  });

  it('AC-1: service accounts: create, bind, disable (its bindings stop granting), delete', async () => {
    const sa = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/service-accounts`, { name: 'CI deployer', description: 'deploys' });
    const binding = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/bindings`, { principal: { type: 'service_account', id: sa }, role: 'service_account', scope: { project_id: a.projectId } });
    const check = async () =>
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/authz/check',
          headers: { cookie: a.admin.cookie },
          payload: { checks: [{ organization_id: a.orgId, project_id: a.projectId, principal: { type: 'service_account', id: sa }, permission: 'projects.read' }] },
        })
      ).json<{ results: { allowed: boolean }[] }>().results[0]!.allowed;
    assert.equal(await check(), true);
    const disabled = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${a.orgId}/service-accounts/${sa}`, headers: { cookie: a.admin.cookie }, payload: { disabled: true } });
    assert.equal(disabled.statusCode, 200);
    assert.equal(await check(), false);
    const listed = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/bindings?principal_id=${sa}`, headers: { cookie: a.admin.cookie } });
    assert.deepEqual(listed.json<{ items: { id: string }[] }>().items.map((i) => i.id), [binding]);
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${a.orgId}/service-accounts/${sa}`, headers: { cookie: a.admin.cookie } })).statusCode, 204);
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/bindings/${binding}`, headers: { cookie: a.admin.cookie } })).statusCode, 404);
  });

  it('AC-1: batch checks answer per item, and an organization the caller may not ask about answers as if it did not exist', async () => {
    const viewer = await memberWithRole(t, a, 'viewer', { project_id: a.projectId });
    const response = await t.inject({
      method: 'POST',
      url: '/api/v1/authz/check',
      headers: { cookie: a.admin.cookie },
      payload: {
        checks: [
          { organization_id: a.orgId, project_id: a.projectId, principal: { type: 'user', id: viewer.userId }, permission: 'projects.read' },
          { organization_id: a.orgId, project_id: a.projectId, principal: { type: 'user', id: viewer.userId }, permission: 'projects.delete' },
          { organization_id: a.orgId, principal: { type: 'user', id: viewer.userId }, permission: 'organization.read' },
          { organization_id: b.orgId, principal: { type: 'user', id: b.admin.userId }, permission: 'organization.read' },
          { organization_id: crypto.randomUUID(), principal: { type: 'user', id: b.admin.userId }, permission: 'organization.read' },
        ],
      },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json<{ results: unknown[] }>().results, [
      { allowed: true },
      { allowed: false, reason: 'forbidden' },
      { allowed: false, reason: 'forbidden' },
      { allowed: false, reason: 'not_found' },
      { allowed: false, reason: 'not_found' },
    ]);
  });

  it('AC-1: the SDK decides locally from the snapshot exactly as the server does', async () => {
    const viewer = await memberWithRole(t, a, 'viewer', { project_id: a.projectId });
    const mfaOnly = await memberWithRole(t, a, 'security_analyst', {}, { conditions: { mfa: true, ip: ['10.0.0.0/8'] } });
    let fetches = 0;
    const sdk = createLocalAuthorizer({
      baseUrl: 'http://parapet.test',
      organizationId: a.orgId,
      headers: () => ({ cookie: a.admin.cookie }),
      now: () => clock.now(),
      fetch: async (input, init) => {
        fetches++;
        const url = new URL(input instanceof Request ? input.url : String(input));
        const response = await t.inject({ method: 'GET', url: url.pathname, headers: init?.headers as Record<string, string> });
        return new Response(response.body, { status: response.statusCode, headers: { 'content-type': 'application/json' } });
      },
    });
    const cases = [
      { subject: { type: 'user' as const, id: viewer.userId }, permission: 'projects.read' as const, where: { projectId: a.projectId } },
      { subject: { type: 'user' as const, id: viewer.userId }, permission: 'projects.read' as const, where: {} },
      { subject: { type: 'user' as const, id: viewer.userId }, permission: 'environments.read' as const, where: { projectId: a.projectId, environmentId: a.environmentId } },
      { subject: { type: 'user' as const, id: mfaOnly.userId, mfa: true }, permission: 'audit.read' as const, where: { ip: '10.1.2.3' } },
      { subject: { type: 'user' as const, id: mfaOnly.userId, mfa: false }, permission: 'audit.read' as const, where: { ip: '10.1.2.3' } },
      { subject: { type: 'user' as const, id: mfaOnly.userId, mfa: true }, permission: 'audit.read' as const, where: { ip: '192.0.2.1' } },
      { subject: { type: 'user' as const, id: b.admin.userId }, permission: 'organization.read' as const, where: {} },
    ];
    const local = [];
    for (const c of cases) local.push(await sdk.can(c.subject, c.permission, c.where));
    assert.equal(fetches, 1, 'one snapshot served every decision');
    const server = await t.inject({
      method: 'POST',
      url: '/api/v1/authz/check',
      headers: { cookie: a.admin.cookie },
      payload: {
        checks: cases.map((c) => ({
          organization_id: a.orgId,
          ...(c.where.projectId === undefined ? {} : { project_id: c.where.projectId }),
          ...(c.where.environmentId === undefined ? {} : { environment_id: c.where.environmentId }),
          principal: { type: 'user', id: c.subject.id },
          permission: c.permission,
          context: { mfa: 'mfa' in c.subject && c.subject.mfa, ...(c.where.ip === undefined ? {} : { ip: c.where.ip }) },
        })),
      },
    });
    const expected = server.json<{ results: { allowed: boolean; reason?: string }[] }>().results;
    assert.deepEqual(local.map((d) => (d.allowed ? { allowed: true } : { allowed: false, reason: d.reason })), expected);
    assert.deepEqual(expected.map((r) => r.allowed), [true, false, true, true, false, false, false]);
  });

  it('AC-5: the access review lists every principal with its grants, and flags stale grants; CSV is injection-safe', async () => {
    const c = await createOrg(t, 'review');
    const stale = await memberWithRole(t, c, 'viewer');
    clock.advance(91 * 86_400_000);
    c.admin = { ...c.admin, cookie: await relogin(t, c.admin.userId) };
    const fresh = await memberWithRole(t, c, 'auditor', { project_id: c.projectId });
    const sa = await post(t, c.admin, `/api/v1/organizations/${c.orgId}/service-accounts`, { name: '=HYPERLINK("http://evil")' });
    await post(t, c.admin, `/api/v1/organizations/${c.orgId}/bindings`, { principal: { type: 'service_account', id: sa }, role: 'service_account' });
    const json = await t.inject({ method: 'GET', url: `/api/v1/organizations/${c.orgId}/access-review`, headers: { cookie: c.admin.cookie } });
    assert.equal(json.statusCode, 200, json.body);
    const review = json.json<{ principals: { type: string; id: string; flags: string[]; grants: { role: string; permissions: string[]; flags: string[]; scope: { project_id: string | null } }[] }[] }>();
    const byId = new Map(review.principals.map((p) => [p.id, p]));
    assert.deepEqual(byId.get(stale.userId)?.flags, ['stale_grant']);
    assert.deepEqual(byId.get(stale.userId)?.grants[0]?.flags, ['stale_grant', 'never_used']);
    assert.deepEqual(byId.get(fresh.userId)?.grants[0]?.scope.project_id, c.projectId);
    assert.deepEqual(byId.get(fresh.userId)?.grants[0]?.permissions, [...BUILT_IN_ROLES.auditor.permissions]);
    assert.equal(byId.get(sa)?.type, 'service_account');
    // The admin used their binding just now (reading the review), so it is not stale.
    assert.deepEqual(byId.get(c.admin.userId)?.flags, []);
    const csv = await t.inject({ method: 'GET', url: `/api/v1/organizations/${c.orgId}/access-review?format=csv`, headers: { cookie: c.admin.cookie } });
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.ok(csv.body.includes(`'=HYPERLINK`), 'a formula in a name is neutralized');
    assert.ok(!/(^|,)=HYPERLINK/m.test(csv.body));
    assert.equal(csv.body.split('\r\n').filter(Boolean).length, 1 + 4);
    // Other organizations' principals never appear; B cannot read A's review.
    assert.ok(!json.body.includes(a.admin.userId));
    assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${c.orgId}/access-review`, headers: { cookie: await relogin(t, b.admin.userId) } }), 404, 'not_found');
    clock.set(new Date('2026-01-05T10:00:00Z'));
  });

  it('AC-5, AUTH-7: API keys appear in the review with their permissions, flagged as they near and pass 90 days', async () => {
    const c = await createOrg(t, 'review-keys');
    const created = await t.inject({ method: 'POST', url: `/api/v1/organizations/${c.orgId}/api-keys`, headers: { cookie: c.admin.cookie }, payload: { name: 'deployer', permissions: ['projects.read'], project_id: c.projectId, expires_in_days: 200 } });
    assert.equal(created.statusCode, 201, created.body);
    const keyId = created.json<{ id: string }>().id;
    const review = async () => {
      const response = await t.inject({ method: 'GET', url: `/api/v1/organizations/${c.orgId}/access-review`, headers: { cookie: c.admin.cookie } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ principals: { type: string; id: string; flags: string[]; grants: { permissions: string[]; scope: { project_id: string | null } }[] }[] }>().principals.find((p) => p.id === keyId);
    };
    const fresh = await review();
    assert.equal(fresh?.type, 'api_key');
    assert.deepEqual(fresh?.grants[0]?.permissions, ['projects.read']);
    assert.equal(fresh?.grants[0]?.scope.project_id, c.projectId);
    assert.ok(!fresh?.flags.some((f) => f.startsWith('credential_')));
    clock.advance(85 * 86_400_000);
    c.admin = { ...c.admin, cookie: await relogin(t, c.admin.userId) };
    assert.ok((await review())?.flags.includes('credential_nearing_90_days'));
    clock.advance(6 * 86_400_000);
    c.admin = { ...c.admin, cookie: await relogin(t, c.admin.userId) };
    assert.ok((await review())?.flags.includes('credential_older_than_90_days'));
    clock.set(new Date('2026-01-05T10:00:00Z'));
  });
});

/** Signs in again as an existing user (after the clock jumped past the session timeout). */
async function relogin(t: TestApp, userId: string): Promise<string> {
  const user = await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow());
  return t.login(user.email, (await import('../../../test/support/app.ts')).TEST_PASSWORD);
}

describe('conditions (AC-3)', () => {
  it('AC-3: a time window that wraps midnight belongs to the day it starts on', () => {
    const night = compileConditions({ time: { timezone: 'UTC', days: [5], start: '22:00', end: '06:00' } })!;
    const at = (iso: string) => night.check({ ip: '', mfa: false, now: new Date(iso) });
    assert.equal(at('2026-06-05T23:00:00Z'), undefined); // Friday night
    assert.equal(at('2026-06-06T05:59:00Z'), undefined); // early Saturday, still Friday's window
    assert.equal(at('2026-06-06T06:00:00Z'), 'outside_time_window');
    assert.equal(at('2026-06-06T23:00:00Z'), 'outside_time_window'); // Saturday night: not a listed day
  });

  it('AC-3: IPv4-mapped IPv6 addresses match IPv4 ranges; garbage never matches', () => {
    const office = compileConditions({ ip: ['192.0.2.0/24'] })!;
    assert.equal(office.check({ ip: '::ffff:192.0.2.9', mfa: false, now: new Date() }), undefined);
    assert.equal(office.check({ ip: 'not-an-ip', mfa: false, now: new Date() }), 'ip_not_allowed');
    assert.equal(office.check({ ip: '', mfa: false, now: new Date() }), 'ip_not_allowed');
  });

  it('AC-3: members added later are not members of other organizations', async () => {
    const t = await createTestApp();
    try {
      const x = await createOrg(t, 'x');
      const y = await createOrg(t, 'y');
      const someone = await signUp(t, 'someone');
      await addMember(t, x.orgId, someone.userId);
      // A member with no bindings gets 403 in their organization, and 404 in the other.
      assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${x.orgId}`, headers: { cookie: someone.cookie } }), 403, 'forbidden');
      assertProblem(await t.inject({ method: 'GET', url: `/api/v1/organizations/${y.orgId}`, headers: { cookie: someone.cookie } }), 404, 'not_found');
    } finally {
      await t.close();
    }
  });
});
