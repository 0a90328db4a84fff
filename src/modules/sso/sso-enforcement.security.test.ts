import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { createOrg, type Member } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { oidcIdp, testDns, type TestDns } from './sso-test-fixture.ts';
import { api, auditEvents, verifiedDomain } from './sso-test-fixture-helpers.ts';

// AUTH-4 (issue 18 part 3): an organization can make SSO mandatory for the addresses of its
// verified domains; named break-glass accounts keep local sign-in, audited.
describe('sso: enforced SSO (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let a: { orgId: string; admin: Member };
  let domain: string;
  let closeIdp: () => Promise<void>;

  const login = (email: string, extra: object = {}) => t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: TEST_PASSWORD, ...extra } });

  before(async () => {
    dns = await testDns();
    const idp = await oidcIdp();
    closeIdp = () => idp.close();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    a = await createOrg(t, 'enforce');
    const created = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/connections`, { name: 'IdP', protocol: 'oidc', default_role: 'viewer', oidc: { issuer: idp.issuer, client_id: idp.clientId } });
    assert.equal(created.statusCode, 201, created.body);
    domain = `enforce-${crypto.randomUUID().slice(0, 8)}.example.org`;
    await verifiedDomain(t, dns, a, domain, created.json<{ id: string }>().id);
  });
  after(async () => {
    await t.close();
    await closeIdp();
    await dns.close();
  });

  it('AUTH-4: requiring SSO needs a break-glass account; then password sign-ins (browser and API client) of the verified domain are refused, a break-glass account signs in and is audited', async () => {
    const worker = await t.createUser(`pat@${domain}`, TEST_PASSWORD);
    const breakGlass = await t.createUser(`bg@${domain}`, TEST_PASSWORD);
    assert.equal((await login(worker.email)).statusCode, 200, 'before the policy, a local sign-in works');
    assertProblem(await api(t, a.admin, 'PUT', `/api/v1/organizations/${a.orgId}/sso/policy`, { require_sso: true, break_glass_user_ids: [] }), 400, 'invalid_request');
    const set = await api(t, a.admin, 'PUT', `/api/v1/organizations/${a.orgId}/sso/policy`, { require_sso: true, break_glass_user_ids: [breakGlass.id] });
    assert.equal(set.statusCode, 200, set.body);
    assertProblem(await login(worker.email), 403, 'sso_required');
    assertProblem(await login(worker.email, { response_type: 'token' }), 403, 'sso_required');
    // A wrong password is still just wrong: the SSO answer comes only after the password verified.
    assertProblem(await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: worker.email, password: 'not the password at all' } }), 401, 'invalid_credentials');
    assert.equal((await login(breakGlass.email)).statusCode, 200);
    assert.ok((await auditEvents(t, a.orgId, 'sso.local_sign_in_refused')).length >= 2);
    assert.equal((await auditEvents(t, a.orgId, 'sso.break_glass_sign_in')).length, 1);
    // Addresses outside the verified domains are not affected (the admin signs in with a password).
    assert.equal((await login(`nobody-${crypto.randomUUID()}@example.net`)).statusCode, 401);
  });

  it("TEN-1: SQL as parapet_app asks parapet_sso_enforcement only about the verified user it runs as: not another domain or user id, nothing without a verified actor (issue 13)", async () => {
    const breakGlass = await t.createUser(`bg-sql-${crypto.randomUUID().slice(0, 8)}@${domain}`, TEST_PASSWORD);
    assert.equal((await api(t, a.admin, 'PUT', `/api/v1/organizations/${a.orgId}/sso/policy`, { require_sso: true, break_glass_user_ids: [breakGlass.id] })).statusCode, 200);
    const attacker = await t.createUser(`mallory-${crypto.randomUUID().slice(0, 8)}@example.net`, TEST_PASSWORD);
    const run = (actor: string | undefined, text: string) => (actor === undefined ? t.transactor.withPlatform((tx) => tx.executeQuery(CompiledQuery.raw(text, []))) : t.transactor.withActor(actor, (tx) => tx.executeQuery(CompiledQuery.raw(text, []))));
    await assert.rejects(run(attacker.id, `select * from parapet_sso_enforcement('${domain}', '${breakGlass.id}')`), /does not exist/);
    assert.deepEqual((await run(attacker.id, 'select * from parapet_sso_enforcement()')).rows, []);
    await assert.rejects(run(undefined, 'select * from parapet_sso_enforcement()'), /verified context/);
    assert.deepEqual((await run(breakGlass.id, 'select tenant_id, break_glass from parapet_sso_enforcement()')).rows, [{ tenant_id: a.orgId, break_glass: true }], 'the user it runs as is answered');
    assert.equal((await login(breakGlass.email)).statusCode, 200);
  });

  it('AUTH-4: an organization requiring SSO for a domain it has only claimed (not verified) enforces nothing', async () => {
    const b = await createOrg(t, 'enforce-b');
    const unproved = `claimed-${crypto.randomUUID().slice(0, 8)}.example.org`;
    assert.equal((await api(t, b.admin, 'POST', `/api/v1/organizations/${b.orgId}/sso/domains`, { domain: unproved })).statusCode, 201);
    const someone = await t.createUser(`sam@${unproved}`, TEST_PASSWORD);
    assert.equal((await api(t, b.admin, 'PUT', `/api/v1/organizations/${b.orgId}/sso/policy`, { require_sso: true, break_glass_user_ids: [b.admin.userId] })).statusCode, 200);
    assert.equal((await login(someone.email)).statusCode, 200);
  });
  it('AUTH-4: a connection a claimed domain routes to is not deleted (409 sso_connection_in_use): required SSO cannot lose its IdP by accident', async () => {
    const connections = await api(t, a.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/connections`);
    const routed = connections.json<{ items: { id: string }[] }>().items[0]?.id ?? '';
    const refused = await api(t, a.admin, 'DELETE', `/api/v1/organizations/${a.orgId}/sso/connections/${routed}`);
    assertProblem(refused, 409, 'sso_connection_in_use');
    const domains = await api(t, a.admin, 'GET', `/api/v1/organizations/${a.orgId}/sso/domains`);
    assert.ok(domains.json<{ items: { domain: string; connection_id: string | null }[] }>().items.some((d) => d.domain === domain && d.connection_id === routed), 'the domain still routes to its connection');
  });

  it('AUTH-4: when a connection row goes anyway (SQL by hand, a future code path), its domains keep their organization and lose only the route', async () => {
    const idp = await oidcIdp();
    try {
      const second = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/connections`, { name: 'Second IdP', protocol: 'oidc', default_role: 'viewer', oidc: { issuer: idp.issuer, client_id: idp.clientId } });
      assert.equal(second.statusCode, 201, second.body);
      const connectionId = second.json<{ id: string }>().id;
      const claimed = await api(t, a.admin, 'POST', `/api/v1/organizations/${a.orgId}/sso/domains`, { domain: `second-${crypto.randomUUID().slice(0, 8)}.example.org`, connection_id: connectionId });
      assert.equal(claimed.statusCode, 201, claimed.body);
      const domainId = claimed.json<{ id: string }>().id;
      await t.transactor.withTenant(a.orgId, (tx) => tx.deleteFrom('sso_connections').where('tenant_id', '=', a.orgId).where('id', '=', connectionId).execute());
      const row = await t.transactor.withTenant(a.orgId, (tx) => tx.selectFrom('sso_domains').select(['tenant_id', 'connection_id']).where('id', '=', domainId).executeTakeFirst());
      assert.deepEqual(row, { tenant_id: a.orgId, connection_id: null });
    } finally {
      await idp.close();
    }
  });
});
