import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { addMember } from '../../../test/support/access.ts';
import { seedOrg, type OrgFixture } from '../oauth/oauth-test-fixture.ts';
import { application, authorizationRequest, createApplication, type CreatedApplication, Browser, discover, REDIRECT_URI, signIn, startProvider, type Running } from './openid-test-fixture.ts';
import { TEST_PASSWORD } from '../../../test/support/app.ts';

describe('OpenID Provider: scope organization carries the application organization, and only it', () => {
  let r: Running;
  let b: OrgFixture;
  before(async () => {
    r = await startProvider('org-scope');
    b = await seedOrg(r.t, 'org-scope-b');
  });
  after(async () => {
    await r.t.close();
  });

  async function user(label: string): Promise<{ id: string; email: string }> {
    const email = `${label}-${crypto.randomUUID()}@example.com`;
    const created = await r.t.createUser(email, TEST_PASSWORD);
    return { id: created.id, email };
  }

  async function bind(org: OrgFixture, userId: string, role: string, scope: Record<string, string> = {}): Promise<string> {
    const response = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/bindings`, payload: { principal: { type: 'user', id: userId }, role, scope }, headers: { cookie: org.cookie } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  }

  async function codeFlow(config: oidc.Configuration, email: string, extra: Record<string, string> = {}) {
    const request = await authorizationRequest(config, { scope: 'openid email organization offline_access', ...extra });
    const callback = await signIn(r, new Browser(r.issuer), request.url, email);
    return { callback, request };
  }

  it("puts the member's roles in the application's organization in the ID token and userinfo, never another organization's", async () => {
    const app = await application(r, { scopes: ['openid', 'email', 'offline_access', 'organization'] });
    const config = await discover(r, app);
    const member = await user('member-of-both');
    await addMember(r.t, r.org.orgId, member.id);
    await bind(r.org, member.id, 'viewer');
    // A role in another project of A does not apply to this application's environment.
    const otherProject = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${r.org.orgId}/projects`, payload: { name: 'Other project' }, headers: { cookie: r.org.cookie } });
    assert.equal(otherProject.statusCode, 201, otherProject.body);
    await bind(r.org, member.id, 'security_admin', { project_id: otherProject.json<{ id: string }>().id });
    // Tenant Admin of B: nothing of it may reach A's application.
    await addMember(r.t, b.orgId, member.id);
    await bind(b, member.id, 'tenant_admin');

    // The request tries to name B every way a parameter could; the claims come from the application.
    const { callback, request } = await codeFlow(config, member.email, { org_id: b.orgId, organization: b.orgId, login_hint: b.orgId });
    assert.ok(callback.startsWith(`${REDIRECT_URI}?code=`), callback);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const claims = tokens.claims();
    assert.equal(claims?.['org_id'], r.org.orgId);
    assert.deepEqual(claims?.['org_roles'], ['viewer']);
    assert.ok(!JSON.stringify(claims).includes(b.orgId));
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '');
    assert.equal(userinfo['org_id'], r.org.orgId);
    assert.deepEqual(userinfo['org_roles'], ['viewer']);
    assert.ok(!JSON.stringify(userinfo).includes(b.orgId));

    // Claims are read at every issue: a role granted since shows in the refreshed ID token.
    await bind(r.org, member.id, 'auditor');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.deepEqual(refreshed.claims()?.['org_roles'], ['auditor', 'viewer']);
  });

  it("refuses a user who is not a member of the application's organization (a member of another one): no code", async () => {
    const app = await application(r, { scopes: ['openid', 'email', 'organization'] });
    const config = await discover(r, app);
    const outsider = await user('outsider');
    await addMember(r.t, b.orgId, outsider.id);
    await bind(b, outsider.id, 'tenant_admin');
    const { callback } = await codeFlow(config, outsider.email, { scope: 'openid email organization' });
    const params = new URL(callback).searchParams;
    assert.ok(callback.startsWith(`${REDIRECT_URI}?`), callback);
    assert.equal(params.get('code'), null);
    assert.equal(params.get('error'), 'access_denied');
  });

  it('an outsider still signs in to an application that does not ask for scope organization, and gets no organization claims', async () => {
    const app = await application(r, { scopes: ['openid', 'email', 'organization'] });
    const config = await discover(r, app);
    const outsider = await user('outsider-plain');
    const { callback, request } = await codeFlow(config, outsider.email, { scope: 'openid email' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(tokens.claims()?.['org_id'], undefined);
    assert.equal(tokens.claims()?.['org_roles'], undefined);
  });

  it('an application not allowed scope organization cannot ask for it (invalid_scope), so it gets no organization claims', async () => {
    const app = await application(r, { scopes: ['openid', 'email'] });
    const config = await discover(r, app);
    const member = await user('member-unscoped');
    await addMember(r.t, r.org.orgId, member.id);
    const { callback } = await codeFlow(config, member.email, { scope: 'openid organization' });
    const params = new URL(callback).searchParams;
    assert.equal(params.get('code'), null, callback);
    assert.equal(params.get('error'), 'invalid_scope');
  });

  it("an application of organization B gets B's roles for the same person, never A's", async () => {
    const created = await createApplication(r, { scopes: ['openid', 'organization'] }, b, await environmentOf(b));
    assert.equal(created.statusCode, 201, created.body);
    const appB = created.json<CreatedApplication>();
    const config = await discover(r, appB);
    const member = await user('member-b');
    await addMember(r.t, r.org.orgId, member.id);
    await bind(r.org, member.id, 'tenant_admin');
    await addMember(r.t, b.orgId, member.id);
    await bind(b, member.id, 'viewer');
    const { callback, request } = await codeFlow(config, member.email, { scope: 'openid organization' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.equal(tokens.claims()?.['org_id'], b.orgId);
    assert.deepEqual(tokens.claims()?.['org_roles'], ['viewer']);
  });

  async function environmentOf(org: OrgFixture): Promise<string> {
    const created = await r.t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/projects/${org.projectId}/environments`, payload: { name: `env-${crypto.randomUUID().slice(0, 8)}`, kind: 'production' }, headers: { cookie: org.cookie } });
    assert.equal(created.statusCode, 201, created.body);
    return created.json<{ id: string }>().id;
  }
});
