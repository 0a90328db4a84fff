import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { findUserByEmail } from '../identity/index.ts';
import { oidcIdp, samlIdp, signingPair, testDns, type OidcIdp, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, postAcs, stateCookie, verifiedDomain } from './sso-test-fixture-helpers.ts';
import { samlOrg, startSaml } from './sso-saml-test-org.ts';

interface BindingOut {
  id: string;
  role: string;
  scope: { project_id: string | null };
  created_by: string | null;
}

// AUTH-4 (issue 18 part 4): IdP groups mapped to roles at SSO sign-in, against a real OpenID
// Provider (oidc-provider, `groups` claim) and a real SAML IdP (samlify, `groups` attribute).
describe('sso: IdP groups mapped to roles at sign-in (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let idp: OidcIdp & { allowRedirects(uris: string[]): void; setGroups(email: string, groups: string[]): void };
  let a: { orgId: string; projectId: string; admin: Member };
  let b: { orgId: string; projectId: string; admin: Member };
  let connectionId: string;
  let domain: string;

  before(async () => {
    dns = await testDns();
    idp = await oidcIdp();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    a = await createOrg(t, 'groups-a');
    b = await createOrg(t, 'groups-b');
    const created = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/connections`, { name: 'Okta', protocol: 'oidc', default_role: 'viewer', oidc: { issuer: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret } });
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json<{ id: string; oidc: { redirect_uri: string } }>();
    connectionId = body.id;
    idp.allowRedirects([body.oidc.redirect_uri]);
    domain = `groups-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(t, dns, a, domain, connectionId);
  });
  after(async () => {
    await t.close();
    await idp.close();
    await dns.close();
  });

  const rules = `/api/v1/organizations/:org/sso/connections/:conn/group-roles`;
  const rulesOf = (orgId: string, conn: string) => rules.replace(':org', orgId).replace(':conn', conn);

  /** A full OIDC sign-in of `email` whose ID token carries `groups`; returns the user id. */
  async function signIn(email: string, groups: string[]): Promise<string> {
    idp.setGroups(email, groups);
    const started = await t.inject({ method: 'GET', url: `/sso/start?email=${encodeURIComponent(email)}` });
    assert.equal(started.statusCode, 302, started.body);
    const back = new URL(await idp.authorize(String(started.headers.location), email));
    const done = await t.inject({ method: 'GET', url: back.pathname + back.search, headers: { cookie: stateCookie(started).header } });
    assert.equal(done.statusCode, 303, done.body);
    return userIdOf(email);
  }

  async function userIdOf(email: string): Promise<string> {
    const user = await t.transactor.withPlatform((tx) => findUserByEmail(tx, email));
    assert.ok(user !== undefined);
    return user.id;
  }

  async function bindingsOf(orgId: string, userId: string, admin: Member = a.admin): Promise<BindingOut[]> {
    const listed = await api(t, admin, 'GET', `/api/v1/organizations/${orgId}/bindings?principal_id=${userId}&limit=100`);
    assert.equal(listed.statusCode, 200, listed.body);
    return listed.json<{ items: BindingOut[] }>().items;
  }

  it('AUTH-4: a group the IdP asserts gives its mapped role at the project at a JIT sign-in; the next sign-in without the group withdraws it; both audited', async () => {
    const rule = await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Engineering', role: 'security_analyst', project_id: a.projectId });
    assert.equal(rule.statusCode, 201, rule.body);
    const userId = await signIn(`eng@${domain}`, ['engineering', 'Everyone']);
    const first = await bindingsOf(a.orgId, userId);
    assert.deepEqual(first.map((x) => `${x.role}@${x.scope.project_id ?? 'org'}`).sort(), [`security_analyst@${a.projectId}`, 'viewer@org']);
    const granted = (await auditEvents(t, a.orgId, 'sso.group_roles_applied')).at(-1);
    assert.match(String(granted?.metadata['granted']), /security_analyst@/);

    await signIn(`eng@${domain}`, ['Everyone']);
    const second = await bindingsOf(a.orgId, userId);
    assert.deepEqual(second.map((x) => x.role), ['viewer']);
    const withdrawn = (await auditEvents(t, a.orgId, 'sso.group_roles_applied')).at(-1);
    assert.match(String(withdrawn?.metadata['withdrawn']), /security_analyst@/);
    // Asserted again: granted again.
    await signIn(`eng@${domain}`, ['Engineering']);
    assert.equal((await bindingsOf(a.orgId, userId)).filter((x) => x.role === 'security_analyst').length, 1);
  });

  it('AUTH-4: withdrawing a group ends only the binding its rule made: a role an administrator granted directly stays', async () => {
    const rule = await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Auditors', role: 'auditor' });
    assert.equal(rule.statusCode, 201, rule.body);
    const userId = await signIn(`aud@${domain}`, ['Auditors']);
    const direct = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/bindings`, { principal: { type: 'user', id: userId }, role: 'security_analyst', scope: {} });
    await signIn(`aud@${domain}`, []);
    const left = await bindingsOf(a.orgId, userId);
    assert.deepEqual(left.map((x) => x.role).sort(), ['security_analyst', 'viewer']);
    assert.ok(left.some((x) => x.id === direct));
  });

  it('AUTH-4: a removed rule takes its bindings away at the next sign-in', async () => {
    const rule = await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Temps', role: 'auditor', project_id: a.projectId });
    assert.equal(rule.statusCode, 201, rule.body);
    const userId = await signIn(`temp@${domain}`, ['Temps']);
    assert.ok((await bindingsOf(a.orgId, userId)).some((x) => x.role === 'auditor'));
    assert.equal((await api(t, a.admin, 'DELETE', `${rulesOf(a.orgId, connectionId)}/${rule.json<{ id: string }>().id}`)).statusCode, 204);
    await signIn(`temp@${domain}`, ['Temps']);
    assert.ok(!(await bindingsOf(a.orgId, userId)).some((x) => x.role === 'auditor'));
  });

  it('AUTH-4: a member without settings.manage cannot add or remove a rule, and a Security Admin cannot map a group to a role they do not hold (no escalation through the IdP)', async () => {
    const analyst = await memberWithRole(t, a, 'security_analyst');
    assertProblem(await api(t, analyst, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Admins', role: 'tenant_admin' }), 403, 'forbidden');
    const secAdmin = await memberWithRole(t, a, 'security_admin');
    const escalate = await api(t, secAdmin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Admins', role: 'tenant_admin' });
    assert.equal(escalate.statusCode, 403, escalate.body);
    const listed = await api(t, a.admin, 'GET', rulesOf(a.orgId, connectionId));
    assert.ok(!listed.json<{ items: { group_name: string }[] }>().items.some((r) => r.group_name === 'Admins'));
  });

  it("AUTH-4: organization B's admin can neither list, add nor remove rules of A's connection, and A cannot name B's project in a rule", async () => {
    const rule = await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Ops', role: 'viewer' });
    assert.equal(rule.statusCode, 201, rule.body);
    const ruleId = rule.json<{ id: string }>().id;
    assertProblem(await api(t, b.admin, 'GET', rulesOf(a.orgId, connectionId)), 404, 'not_found');
    assertProblem(await api(t, b.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Ops', role: 'tenant_admin' }), 404, 'not_found');
    // Through B's own organization path, A's connection does not exist.
    assertProblem(await api(t, b.admin, 'GET', rulesOf(b.orgId, connectionId)), 404, 'not_found');
    assertProblem(await api(t, b.admin, 'POST', rulesOf(b.orgId, connectionId), { group_name: 'Ops', role: 'tenant_admin' }), 404, 'not_found');
    assertProblem(await api(t, b.admin, 'DELETE', `${rulesOf(b.orgId, connectionId)}/${ruleId}`), 404, 'not_found');
    const foreignProject = await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Ops', role: 'auditor', project_id: b.projectId });
    assertProblem(foreignProject, 400, 'invalid_request');
    assert.ok(!foreignProject.body.includes(b.projectId), 'the project id is not echoed');
    assert.equal((await api(t, a.admin, 'GET', rulesOf(a.orgId, connectionId))).json<{ items: unknown[] }>().items.filter((r) => (r as { group_name: string }).group_name === 'Ops').length, 1);
  });

  it('AUTH-4: the same group mapped twice to the same role and scope is refused (409 sso_group_rule_exists)', async () => {
    assert.equal((await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'Twice', role: 'viewer' })).statusCode, 201);
    assertProblem(await api(t, a.admin, 'POST', rulesOf(a.orgId, connectionId), { group_name: 'twice', role: 'viewer' }), 409, 'sso_group_rule_exists');
  });

  it('AUTH-4: a SAML sign-in maps the groups attribute of the signed assertion; a group of another connection gives nothing', async () => {
    const saml = samlIdp(signingPair('groups-saml'), 'https://idp.example.test/groups', { groups: true });
    const org = await samlOrg(t, dns, 'groups-saml', saml);
    assert.equal((await api(t, org.admin, 'POST', rulesOf(org.orgId, org.connectionId), { group_name: 'Security', role: 'security_analyst' })).statusCode, 201);
    const email = `sam@${org.domain}`;
    const started = await startSaml(t, org);
    const done = await postAcs(t, org.acs, await saml.respond(org.spMetadata, email, started.requestId, { attrGroups: 'Security' }), started.relayState, started.cookie);
    assert.equal(done.statusCode, 303, done.body);
    const userId = await userIdOf(email);
    assert.deepEqual((await bindingsOf(org.orgId, userId, org.admin)).map((x) => x.role).sort(), ['security_analyst', 'viewer']);
    // A's OIDC connection's rules ("Engineering" etc.) never apply to this organization's sign-ins.
    const again = await startSaml(t, org);
    await postAcs(t, org.acs, await saml.respond(org.spMetadata, email, again.requestId, { attrGroups: 'Engineering' }), again.relayState, again.cookie);
    assert.deepEqual((await bindingsOf(org.orgId, userId, org.admin)).map((x) => x.role), ['viewer']);
  });
});
