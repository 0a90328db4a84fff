// The application registry's own permissions (docs/openid-provider.md, "Applications"):
// applications.manage to register and delete applications and resource servers,
// applications.read to list and read them. Environment permissions no longer reach them, and a
// binding scoped to one project reaches no other project's applications.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';

describe('OpenID applications: applications.read and applications.manage', () => {
  let t: TestApp;
  let org: Awaited<ReturnType<typeof createOrg>>;
  let otherEnvironment: { projectId: string; environmentId: string };
  let environmentsOnly: string;
  let appsManager: string;
  let appsReader: string;

  before(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'apps-perms');
    const projectId = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/projects`, { name: 'Other project' });
    const environmentId = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/projects/${projectId}/environments`, { name: 'production', kind: 'production' });
    otherEnvironment = { projectId, environmentId };
    const roles = `/api/v1/organizations/${org.orgId}/roles`;
    environmentsOnly = await post(t, org.admin, roles, { name: 'Environment editor', permissions: ['environments.read', 'environments.update'] });
    appsManager = await post(t, org.admin, roles, { name: 'Application manager', permissions: ['applications.read', 'applications.manage'] });
    appsReader = await post(t, org.admin, roles, { name: 'Application reader', permissions: ['applications.read'] });
  });
  after(async () => {
    await t.close();
  });

  const base = (where: { projectId: string; environmentId: string }) => `/api/v1/organizations/${org.orgId}/projects/${where.projectId}/environments/${where.environmentId}`;
  const here = () => ({ projectId: org.projectId, environmentId: org.environmentId });
  const register = (who: Member, where = here()) =>
    t.inject({ method: 'POST', url: `${base(where)}/applications`, headers: { cookie: who.cookie }, payload: { name: 'App', client_type: 'public', first_party: true, redirect_uris: ['http://127.0.0.1:9/callback'] } });
  const registerApi = (who: Member, where = here()) =>
    t.inject({ method: 'POST', url: `${base(where)}/resource-servers`, headers: { cookie: who.cookie }, payload: { name: 'API', identifier: `https://api-${crypto.randomUUID()}.example.com/`, scopes: ['a:read'] } });
  const list = (who: Member, what: 'applications' | 'resource-servers', where = here()) => t.inject({ method: 'GET', url: `${base(where)}/${what}`, headers: { cookie: who.cookie } });

  it('environments.update and environments.read reach no application or resource server (403)', async () => {
    const editor = await memberWithRole(t, org, environmentsOnly);
    assert.equal((await register(editor)).statusCode, 403);
    assert.equal((await registerApi(editor)).statusCode, 403);
    assert.equal((await list(editor, 'applications')).statusCode, 403);
    assert.equal((await list(editor, 'resource-servers')).statusCode, 403);
  });

  it('applications.manage registers, reads and deletes; scoped to a project, it reaches no other project', async () => {
    const manager = await memberWithRole(t, org, appsManager, { project_id: org.projectId });
    const created = await register(manager);
    assert.equal(created.statusCode, 201, created.body);
    const { client_id: id } = created.json<{ client_id: string }>();
    assert.equal((await registerApi(manager)).statusCode, 201);
    assert.equal((await list(manager, 'applications')).statusCode, 200);
    assert.equal((await register(manager, otherEnvironment)).statusCode, 403);
    assert.equal((await list(manager, 'applications', otherEnvironment)).statusCode, 403);
    const deleted = await t.inject({ method: 'DELETE', url: `${base(here())}/applications/${id}`, headers: { cookie: manager.cookie } });
    assert.equal(deleted.statusCode, 204, deleted.body);
  });

  it('applications.read lists and reads but cannot register or delete', async () => {
    const made = await register(org.admin);
    assert.equal(made.statusCode, 201, made.body);
    const { client_id: id } = made.json<{ client_id: string }>();
    const reader = await memberWithRole(t, org, appsReader);
    assert.equal((await list(reader, 'applications')).statusCode, 200);
    assert.equal((await t.inject({ method: 'GET', url: `${base(here())}/applications/${id}`, headers: { cookie: reader.cookie } })).statusCode, 200);
    assert.equal((await register(reader)).statusCode, 403);
    assert.equal((await registerApi(reader)).statusCode, 403);
    assert.equal((await t.inject({ method: 'DELETE', url: `${base(here())}/applications/${id}`, headers: { cookie: reader.cookie } })).statusCode, 403);
  });

  it('built-in roles: Security Admin manages applications, Security Analyst reads them, Viewer neither', async () => {
    const admin = await memberWithRole(t, org, 'security_admin');
    assert.equal((await register(admin)).statusCode, 201);
    const analyst = await memberWithRole(t, org, 'security_analyst');
    assert.equal((await list(analyst, 'applications')).statusCode, 200);
    assert.equal((await register(analyst)).statusCode, 403);
    const viewer = await memberWithRole(t, org, 'viewer');
    assert.equal((await list(viewer, 'applications')).statusCode, 403);
  });
});
