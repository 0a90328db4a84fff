import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { memberWithRole } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { testDns, type TestDns } from '../sso/sso-test-fixture.ts';
import { FILTER_LIMITS } from './scim-filter.ts';
import { assertScimError, createDirectory, proveDomain, rolesOf, scim, scimOrg, type ScimOrg } from './scim-test-fixture.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// AUTH-4 (issue 18 part 4): the SCIM server's defences. A directory token acts on its own directory
// only; revoked and rotated tokens stop at once; filters are parsed under limits and compiled to
// bound parameters; deprovisioning ends the member's sessions and suspends their API keys; nothing
// reaches another organization.
describe('scim: security (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;
  let a: ScimOrg;
  let b: ScimOrg;
  let aUserId: string;

  const users = (org: ScimOrg, query = '') => `/scim/v2/${org.directoryId}/Users${query}`;
  const createUser = async (org: ScimOrg, userName: string, extra: object = {}) => {
    const response = await scim(t, org.token, 'POST', users(org), { schemas: [USER], userName, active: true, ...extra });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  };

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
    a = await scimOrg(t, dns, 'sec-a', 'security_admin');
    b = await scimOrg(t, dns, 'sec-b');
    aUserId = await createUser(a, `alice@${a.domain}`);
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  it("AUTH-4: a directory's token is refused on another directory of the same organization, on another organization's directory, and without the token", async () => {
    const second = await createDirectory(t, { orgId: a.orgId, admin: a.admin });
    assert.equal((await scim(t, a.token, 'GET', users(a))).statusCode, 200);
    // A's token on A's second directory, and on B's directory.
    assertScimError(await scim(t, a.token, 'GET', `/scim/v2/${second.directoryId}/Users`), 401);
    assertScimError(await scim(t, a.token, 'GET', users(b)), 401);
    assertScimError(await scim(t, b.token, 'GET', `${users(a)}/${aUserId}`), 401);
    assertScimError(await scim(t, b.token, 'DELETE', `${users(a)}/${aUserId}`), 401);
    // No token, a session cookie instead, another scheme, a malformed directory id.
    assertScimError(await t.inject({ method: 'GET', url: users(a) }), 401);
    assertScimError(await t.inject({ method: 'GET', url: users(a), headers: { cookie: a.admin.cookie } }), 401);
    assertScimError(await t.inject({ method: 'GET', url: users(a), headers: { authorization: `Basic ${Buffer.from(`x:${a.token}`).toString('base64')}` } }), 401);
    assertScimError(await scim(t, a.token, 'GET', `/scim/v2/${a.directoryId}x/Users`), 401);
    // Authentication comes before the body: a wrong token with a malformed body is 401, not 400.
    assertScimError(await t.inject({ method: 'POST', url: users(a), headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/scim+json' }, payload: '{"userName": ' }), 401);
    assert.equal(await rolesOf(t, a, await accountOf(a, aUserId)).then((r) => r?.length), 1, "A's user is untouched");
  });

  it("AUTH-4: a rotated token stops at once and the new one works; a revoked token is refused; a deleted directory's token is refused", async () => {
    const org = { orgId: a.orgId, admin: a.admin };
    const dir = await createDirectory(t, org);
    const path = `/scim/v2/${dir.directoryId}/Users`;
    const base = `/api/v1/organizations/${a.orgId}/scim/directories/${dir.directoryId}`;
    assert.equal((await scim(t, dir.token, 'GET', path)).statusCode, 200);
    const rotated = await t.inject({ method: 'POST', url: `${base}/token`, headers: { cookie: a.admin.cookie } });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const fresh = rotated.json<{ token: string }>().token;
    assertScimError(await scim(t, dir.token, 'GET', path), 401);
    assert.equal((await scim(t, fresh, 'GET', path)).statusCode, 200);
    // The token is never listed again.
    const listed = await t.inject({ method: 'GET', url: `/api/v1/organizations/${a.orgId}/scim/directories`, headers: { cookie: a.admin.cookie } });
    assert.ok(!listed.body.includes(fresh) && !listed.body.includes(dir.token));
    const revoked = await t.inject({ method: 'DELETE', url: `${base}/token`, headers: { cookie: a.admin.cookie } });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json<{ has_token: boolean }>().has_token, false);
    assertScimError(await scim(t, fresh, 'GET', path), 401);
    const again = (await t.inject({ method: 'POST', url: `${base}/token`, headers: { cookie: a.admin.cookie } })).json<{ token: string }>().token;
    assert.equal((await scim(t, again, 'GET', path)).statusCode, 200);
    assert.equal((await t.inject({ method: 'DELETE', url: base, headers: { cookie: a.admin.cookie } })).statusCode, 204);
    assertScimError(await scim(t, again, 'GET', path), 401);
  });

  it('AUTH-4: filter injection: SQL metacharacters are values (no match), unknown attributes and operators, over-long and over-nested filters answer 400 invalidFilter, never 500, never echoed', async () => {
    const hostile = ["' OR '1'='1", 'x\'); DROP TABLE scim_users; --', '%', '_', '\\', '*/ or 1=1 /*'];
    for (const value of hostile) {
      const response = await scim(t, a.token, 'GET', users(a, `?filter=${encodeURIComponent(`userName eq ${JSON.stringify(value)}`)}`));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<{ totalResults: number }>().totalResults, 0, value);
      const contains = await scim(t, a.token, 'GET', users(a, `?filter=${encodeURIComponent(`userName co ${JSON.stringify(value)}`)}`));
      assert.equal(contains.json<{ totalResults: number }>().totalResults, 0, `co ${value}`);
    }
    const refused = [
      "userName eq 'x' or 1=1",
      'userName eq "x" or 1 eq 1',
      'password eq "x"',
      'user_name eq "x"',
      'userName like "x"',
      'userName eq x',
      'userName eq "x"; drop table scim_users',
      'userName eq "x" --',
      '(userName eq "x"',
      'emails[type eq "work"',
      'emails[members[value eq "x"]]',
      `userName eq "${'a'.repeat(FILTER_LIMITS.maxLength)}"`,
      `${'('.repeat(FILTER_LIMITS.maxDepth + 2)}userName eq "x"${')'.repeat(FILTER_LIMITS.maxDepth + 2)}`,
      `${'not ('.repeat(50)}userName pr${')'.repeat(50)}`,
      Array.from({ length: FILTER_LIMITS.maxTerms + 1 }, () => 'userName pr').join(' or '),
      'userName eq "\\u0000"',
    ];
    for (const filter of refused) {
      const response = await scim(t, a.token, 'GET', users(a, `?filter=${encodeURIComponent(filter)}`));
      assertScimError(response, 400, 'invalidFilter');
      assert.ok(!response.body.includes('scim_users') && !response.body.includes('drop'), filter);
    }
    assertScimError(await scim(t, a.token, 'GET', `/scim/v2/${a.directoryId}/Groups?filter=${encodeURIComponent('displayName eq "x" or 1=1')}`), 400, 'invalidFilter');
  });

  it('AUTH-4: deprovisioning suspends at once: the session cookie and the API key of the member are refused afterwards (active false, then DELETE)', async () => {
    for (const how of ['deactivate', 'delete'] as const) {
      const email = `worker-${how}@${a.domain}`;
      const account = await t.createUser(email, TEST_PASSWORD);
      const scimId = await createUser(a, email);
      assert.deepEqual(await rolesOf(t, a, account.id), ['security_admin']);
      const cookie = await t.login(email, TEST_PASSWORD);
      const made = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/api-keys`, headers: { cookie }, payload: { name: 'ci', role: 'viewer' } });
      assert.equal(made.statusCode, 201, made.body);
      const key = made.json<{ key: string }>().key;
      const org = `/api/v1/organizations/${a.orgId}`;
      assert.equal((await t.inject({ method: 'GET', url: org, headers: { cookie } })).statusCode, 200);
      assert.equal((await t.inject({ method: 'GET', url: org, headers: { authorization: `Bearer ${key}` } })).statusCode, 200);

      const response =
        how === 'deactivate'
          ? await scim(t, a.token, 'PATCH', `${users(a)}/${scimId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })
          : await scim(t, a.token, 'DELETE', `${users(a)}/${scimId}`);
      assert.ok(response.statusCode === 200 || response.statusCode === 204, response.body);
      // The session is over (not merely forbidden), and the key is suspended: it may do nothing here.
      assertProblem(await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } }), 401, 'unauthenticated');
      assertProblem(await t.inject({ method: 'GET', url: org, headers: { authorization: `Bearer ${key}` } }), 403, 'forbidden');
      assert.equal(await rolesOf(t, a, account.id), undefined);
    }
  });

  it("AUTH-4: another organization's directory cannot read, change, delete or group a user of this one, nor provision an address of a domain it has not verified", async () => {
    const aAccount = await accountOf(a, aUserId);
    const before = await scim(t, a.token, 'GET', `${users(a)}/${aUserId}`);
    // B's token on B's directory, naming A's SCIM user id: not found, whatever the method.
    assertScimError(await scim(t, b.token, 'GET', `${users(b)}/${aUserId}`), 404);
    assertScimError(await scim(t, b.token, 'PATCH', `${users(b)}/${aUserId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }), 404);
    assertScimError(await scim(t, b.token, 'PUT', `${users(b)}/${aUserId}`, { schemas: [USER], userName: `alice@${a.domain}`, active: false }), 404);
    assertScimError(await scim(t, b.token, 'DELETE', `${users(b)}/${aUserId}`), 404);
    // Nor another directory of the same organization: users belong to the directory that made them.
    const sibling = await createDirectory(t, { orgId: a.orgId, admin: a.admin });
    const siblingUsers = `/scim/v2/${sibling.directoryId}/Users`;
    assertScimError(await scim(t, sibling.token, 'GET', `${siblingUsers}/${aUserId}`), 404);
    assertScimError(await scim(t, sibling.token, 'DELETE', `${siblingUsers}/${aUserId}`), 404);
    assert.equal((await scim(t, sibling.token, 'GET', siblingUsers)).json<{ totalResults: number }>().totalResults, 0);
    assertScimError(await scim(t, sibling.token, 'POST', `/scim/v2/${sibling.directoryId}/Groups`, { schemas: [GROUP], displayName: 'steal', members: [{ value: aUserId }] }), 400, 'invalidValue');
    assertScimError(await scim(t, b.token, 'POST', `/scim/v2/${b.directoryId}/Groups`, { schemas: [GROUP], displayName: 'steal', members: [{ value: aUserId }] }), 400, 'invalidValue');
    // B cannot provision (and so link) an account in A's verified domain; the answer is the same whether the account exists.
    const existing = await scim(t, b.token, 'POST', users(b), { schemas: [USER], userName: `alice@${a.domain}`, active: true });
    const absent = await scim(t, b.token, 'POST', users(b), { schemas: [USER], userName: `nobody-${crypto.randomUUID()}@${a.domain}`, active: true });
    assertScimError(existing, 400, 'invalidValue');
    assertScimError(absent, 400, 'invalidValue');
    assert.equal(existing.body, absent.body);
    assert.equal((await scim(t, b.token, 'GET', users(b, `?filter=${encodeURIComponent(`userName eq "alice@${a.domain}"`)}`))).json<{ totalResults: number }>().totalResults, 0);
    // A's user and membership are unchanged.
    assert.equal((await scim(t, a.token, 'GET', `${users(a)}/${aUserId}`)).body, before.body);
    assert.deepEqual(await rolesOf(t, a, aAccount), ['security_admin']);
  });

  it('AUTH-4: only a member holding settings.manage creates directories, rotates tokens and maps groups; a mapping to a role the admin does not hold is refused', async () => {
    const analyst = await memberWithRole(t, a, 'security_analyst');
    const base = `/api/v1/organizations/${a.orgId}/scim/directories`;
    assertProblem(await t.inject({ method: 'POST', url: base, headers: { cookie: analyst.cookie }, payload: { name: 'Rogue', default_role: 'viewer' } }), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'POST', url: `${base}/${a.directoryId}/token`, headers: { cookie: analyst.cookie } }), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'POST', url: `${base}/${a.directoryId}/group-roles`, headers: { cookie: analyst.cookie }, payload: { group_name: 'Admins', role: 'tenant_admin' } }), 403, 'forbidden');
    // B's admin on A's directory: not found (nothing about A leaks).
    assert.equal((await t.inject({ method: 'POST', url: `/api/v1/organizations/${b.orgId}/scim/directories/${a.directoryId}/token`, headers: { cookie: b.admin.cookie } })).statusCode, 404);
    // A security admin (settings.manage, not every permission) cannot make a directory grant Tenant Admin.
    const secAdmin = await memberWithRole(t, a, 'security_admin');
    assertProblem(await t.inject({ method: 'POST', url: `${base}/${a.directoryId}/group-roles`, headers: { cookie: secAdmin.cookie }, payload: { group_name: 'Admins', role: 'tenant_admin' } }), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'POST', url: base, headers: { cookie: secAdmin.cookie }, payload: { name: 'Escalate', default_role: 'tenant_admin' } }), 403, 'forbidden');
  });

  it('AUTH-4: SCIM errors are SCIM errors (application/scim+json with scimType), never problem+json, and echo nothing', async () => {
    const canary = 'canary-7f3a9c2e41b8';
    assertScimError(await scim(t, a.token, 'POST', users(a), { schemas: [USER], userName: 12345, displayName: canary }), 400, 'invalidValue');
    const malformed = await t.inject({ method: 'POST', url: users(a), headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/scim+json' }, payload: `{"userName": "${canary}"` });
    assertScimError(malformed, 400, 'invalidSyntax');
    assert.ok(!malformed.body.includes(canary));
    const deep = await t.inject({ method: 'POST', url: users(a), headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/scim+json' }, payload: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}` });
    assertScimError(deep, 400, 'invalidSyntax');
    assertScimError(await scim(t, a.token, 'PATCH', `${users(a)}/${aUserId}`, { schemas: [PATCH], Operations: [{ op: 'move', path: 'userName', value: canary }] }), 400, 'invalidSyntax');
    assertScimError(await scim(t, a.token, 'PATCH', `${users(a)}/${aUserId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: `emails[${canary}`, value: canary }] }), 400, 'invalidPath');
    assertScimError(await scim(t, a.token, 'GET', `/scim/v2/${a.directoryId}/Nope`), 404);
    const text = await t.inject({ method: 'POST', url: users(a), headers: { authorization: `Bearer ${a.token}`, 'content-type': 'text/plain' }, payload: canary });
    assertScimError(text, 415);
  });

  it("AUTH-4: the directory cannot deprovision the organization's last Tenant Admin (409 mutability), and nothing changes", async () => {
    const domain = `boss-${crypto.randomUUID().slice(0, 8)}.example.org`;
    const boss = await t.createUser(`boss@${domain}`, TEST_PASSWORD);
    const cookie = await t.login(`boss@${domain}`, TEST_PASSWORD);
    const org = await t.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie }, payload: { name: 'Boss Inc' } });
    assert.equal(org.statusCode, 201, org.body);
    const owner = { orgId: org.json<{ id: string }>().id, admin: { userId: boss.id, cookie } };
    await proveDomain(t, dns, owner, domain);
    const dir = await createDirectory(t, owner);
    const linked = await scim(t, dir.token, 'POST', `/scim/v2/${dir.directoryId}/Users`, { schemas: [USER], userName: `boss@${domain}`, active: true });
    assert.equal(linked.statusCode, 201, linked.body);
    const id = linked.json<{ id: string }>().id;
    assertScimError(await scim(t, dir.token, 'PATCH', `/scim/v2/${dir.directoryId}/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }), 409, 'mutability');
    assertScimError(await scim(t, dir.token, 'DELETE', `/scim/v2/${dir.directoryId}/Users/${id}`), 409, 'mutability');
    assert.equal((await scim(t, dir.token, 'GET', `/scim/v2/${dir.directoryId}/Users/${id}`)).json<{ active: boolean }>().active, true);
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode, 200);
    assert.deepEqual(await rolesOf(t, owner, boss.id), ['tenant_admin', 'viewer']);
  });

  async function accountOf(org: ScimOrg, scimUserId: string): Promise<string> {
    const row = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('scim_users').select('user_id').where('id', '=', scimUserId).executeTakeFirstOrThrow());
    return row.user_id;
  }
});
