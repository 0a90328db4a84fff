// Issue 13, property 1 (TEN-1): SQL injected as parapet_app — run inside a verified tenant context,
// the way an injection in one of that organization's requests would run — cannot raise what a
// custom role grants: a custom role's permission list carries a MAC under a keyring key the
// database never holds (`access-role/1`, migration 0090), checked wherever a decision reads it.
// Each altered or forged role is then tried through the HTTP API, which must not honour it. Runs
// on both databases: the defence is in the application.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createOrg, memberWithRole, post, type Member } from '../../../test/support/access.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { upgradeRoleMacs } from './access-store.ts';

describe('custom roles carry MACs: SQL cannot raise what a role grants (issue 13, TEN-1)', () => {
  let t: TestApp;
  let org: Awaited<ReturnType<typeof createOrg>>;
  before(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'roles');
  });
  after(async () => {
    await t.close();
  });

  /** Runs SQL as parapet_app in the organization's verified context (an injection in a member's request), then drops the cached snapshot. */
  const inject = async (text: string, parameters: readonly unknown[] = [], as?: string) => {
    const result = await t.transactor.withTenant(org.orgId, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])), as);
    await t.transactor.withTenant(org.orgId, (tx) => t.app.services.access.changed(tx, org.orgId));
    return result;
  };
  const projects = (who: Member) => t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { cookie: who.cookie } });
  const apiKeys = (who: Member) => t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers: { cookie: who.cookie } });
  /** A custom role made through the API, and a member bound to it through the API (both carry real MACs). */
  const boundToReader = async (label: string) => {
    const roleId = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/roles`, { name: `reader ${label}`, permissions: ['organization.read', 'projects.read'] });
    const member = await memberWithRole(t, org, roleId);
    return { roleId, member };
  };

  it('a member bound to a custom reader role lists projects but not API keys (the control)', async () => {
    const { member } = await boundToReader('control');
    assert.equal((await projects(member)).statusCode, 200);
    assert.equal((await apiKeys(member)).statusCode, 403);
  });

  it("TEN-1: raising a custom role's permissions by hand grants nothing: the role is absent", async () => {
    const { roleId, member } = await boundToReader('raised');
    await inject("update access_roles set permissions = array['organization.read', 'projects.read', 'api_keys.read', 'api_keys.manage'] where id = $1", [roleId], member.userId);
    assert.equal((await apiKeys(member)).statusCode, 403, 'the raised permission is not honoured');
    assert.notEqual((await projects(member)).statusCode, 200, 'a role that fails its MAC grants nothing at all');
    const listed = await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/roles`, headers: { cookie: org.admin.cookie } });
    assert.ok(!listed.json<{ items: { id: string }[] }>().items.some((r) => r.id === roleId), 'the altered role is not listed');
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/roles/${roleId}`, headers: { cookie: org.admin.cookie } })).statusCode, 404);
  });

  it("TEN-1: copying a stronger role's permissions and real MAC onto one's own role grants nothing", async () => {
    const { roleId, member } = await boundToReader('copied');
    const stronger = await post(t, org.admin, `/api/v1/organizations/${org.orgId}/roles`, { name: 'key reader', permissions: ['organization.read', 'projects.read', 'api_keys.read'] });
    await inject('update access_roles set (permissions, integrity_mac) = (select permissions, integrity_mac from access_roles where id = $2) where id = $1', [roleId, stronger], member.userId);
    assert.equal((await apiKeys(member)).statusCode, 403);
  });

  it('TEN-1: a role inserted by hand (with a real role\'s MAC copied) cannot be granted or listed', async () => {
    const { roleId } = await boundToReader('source');
    const forged = crypto.randomUUID();
    await inject(`insert into access_roles (tenant_id, id, name, permissions, created_at, updated_at, integrity_mac)
                  values ($1, $2, 'forged', array['api_keys.manage'], now(), now(), (select integrity_mac from access_roles where id = $3))`, [org.orgId, forged, roleId]);
    const response = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/bindings`, headers: { cookie: org.admin.cookie }, payload: { principal: { type: 'user', id: org.admin.userId }, role: forged, scope: {} } });
    assert.equal(response.statusCode, 400, 'an unknown role');
    assert.equal(response.headers['content-type']?.toString().startsWith('application/problem+json'), true);
  });

  it('a role changed through the API is re-MACed and still grants (the update path works)', async () => {
    const { roleId, member } = await boundToReader('patched');
    const patched = await t.inject({ method: 'PATCH', url: `/api/v1/organizations/${org.orgId}/roles/${roleId}`, headers: { cookie: org.admin.cookie }, payload: { permissions: ['organization.read', 'projects.read', 'api_keys.read'] } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await apiKeys(member)).statusCode, 200);
  });

  it('TEN-1: the back-fill MACs the copy the migration took, not the live row; parapet_app cannot write a copy', async () => {
    const kept = await boundToReader('kept');
    const altered = await boundToReader('altered');
    await inject('update access_roles set integrity_mac = null where id in ($1, $2)', [kept.roleId, altered.roleId]);
    assert.notEqual((await projects(kept.member)).statusCode, 200, 'without a MAC the role grants nothing');
    // The owner is bound by the copies' forced RLS too: the migration copies before enabling it.
    await t.database.db.withOwner((session) =>
      session.exec(`alter table access_roles_mac_upgrade no force row level security;
                    create policy probe_0090 on access_roles for select to parapet_owner using (true);
                    insert into access_roles_mac_upgrade select tenant_id, id, permissions, created_at from access_roles where id in ('${kept.roleId}', '${altered.roleId}');
                    drop policy probe_0090 on access_roles;
                    alter table access_roles_mac_upgrade force row level security`),
    );
    // After the copy (as if between the migration and the start), one role is raised by hand.
    await inject("update access_roles set permissions = array['organization.read', 'projects.read', 'api_keys.read'] where id = $1", [altered.roleId]);
    assert.deepEqual((await inject('select id from access_roles_mac_upgrade')).rows, [], 'parapet_app sees no copy outside the jobs context');
    await assert.rejects(inject("insert into access_roles_mac_upgrade (tenant_id, id, permissions, created_at) values ($1, $2, array['api_keys.manage'], now())", [org.orgId, crypto.randomUUID()]), /permission denied|violates/);
    const integrity = createRowIntegrity(TEST_KEYRING.derive('row-integrity'));
    assert.equal(await upgradeRoleMacs(t.transactor, integrity), 2);
    await t.transactor.withTenant(org.orgId, (tx) => t.app.services.access.changed(tx, org.orgId));
    assert.equal((await projects(kept.member)).statusCode, 200, 'a role copied by the migration grants again');
    assert.notEqual((await projects(altered.member)).statusCode, 200, 'a role raised after the copy stays refused');
    assert.equal((await apiKeys(altered.member)).statusCode, 403);
    assert.equal(await upgradeRoleMacs(t.transactor, integrity), 0, 'each copy is used once');
  });
});
