// Issue 13, property 1 (TEN-1): SQL injected as parapet_app — here run inside a verified tenant
// context, the way an injection in one of that organization's requests would run — cannot grant
// itself a role: every role binding carries a MAC under a keyring key the database never holds,
// checked on every read. Each forged or altered binding is then tried through the HTTP API, which
// must not honour it. Runs on both databases: the defence is in the application.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { createOrg, memberWithRole, type Member } from '../../../test/support/access.ts';
import { createRowIntegrity } from '../identity/index.ts';
import { upgradeBindingMacs } from './access-store.ts';

describe('role bindings carry MACs: SQL cannot grant a role (issue 13, TEN-1)', () => {
  let t: TestApp;
  let org: Awaited<ReturnType<typeof createOrg>>;
  let viewer: Member & { bindingId: string };
  before(async () => {
    t = await createTestApp();
    org = await createOrg(t, 'bindings');
    viewer = await memberWithRole(t, org, 'viewer');
  });
  after(async () => {
    await t.close();
  });

  /** Runs SQL as parapet_app in the organization's verified context (an injection in the viewer's request), then drops the cached snapshot. */
  const inject = async (text: string, parameters: readonly unknown[] = []) => {
    const result = await t.transactor.withTenant(org.orgId, (tx) => tx.executeQuery(CompiledQuery.raw(text, parameters as unknown[])), viewer.userId);
    // Snapshots live up to a minute on a node (AC-2): the next decision reads the rows as they are now.
    await t.transactor.withTenant(org.orgId, (tx) => t.app.services.access.changed(tx, org.orgId));
    return result;
  };
  const adminOnly = (who: Member) => t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/api-keys`, headers: { cookie: who.cookie } });
  const forge = async (principal: string, extra = '') => {
    const id = crypto.randomUUID();
    await inject(`insert into role_bindings (tenant_id, id, principal_type, principal_id, built_in_role, created_at${extra === '' ? '' : ', integrity_mac'})
                  values ($1, $2, 'user', $3, 'tenant_admin', now()${extra === '' ? '' : `, (${extra})`})`, [org.orgId, id, principal]);
    return id;
  };

  it('the viewer may not list API keys (the control)', async () => {
    assert.equal((await adminOnly(viewer)).statusCode, 403);
  });

  it('TEN-1: a Tenant Admin binding inserted by hand for the viewer grants nothing', async () => {
    await forge(viewer.userId);
    assert.equal((await adminOnly(viewer)).statusCode, 403);
  });

  it("TEN-1: a binding inserted by hand with the admin's real MAC copied onto it grants nothing", async () => {
    await forge(viewer.userId, `select integrity_mac from role_bindings where principal_id = '${org.admin.userId}' limit 1`);
    assert.equal((await adminOnly(viewer)).statusCode, 403);
  });

  it("TEN-1: changing the viewer's own binding to Tenant Admin makes it grant nothing at all", async () => {
    const member = await memberWithRole(t, org, 'viewer');
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { cookie: member.cookie } })).statusCode, 200);
    await inject("update role_bindings set built_in_role = 'tenant_admin' where id = $1", [member.bindingId]);
    assert.equal((await adminOnly(member)).statusCode, 403);
    assert.notEqual((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { cookie: member.cookie } })).statusCode, 200);
  });

  it('TEN-1: lifting the conditions or expiry of a binding makes it grant nothing', async () => {
    const now = Date.now();
    for (const [extra, change] of [
      [{ conditions: { ip: ['203.0.113.0/24'] } }, 'conditions = null'],
      [{ expires_at: new Date(now + 3_600_000).toISOString() }, 'expires_at = null'],
    ] as const) {
      const member = await memberWithRole(t, org, 'security_admin', {}, extra);
      await inject(`update role_bindings set ${change} where id = $1`, [member.bindingId]);
      assert.equal((await adminOnly(member)).statusCode, 403, change);
    }
  });

  it('TEN-1: a forged Tenant Admin binding does not count as another admin: the last real one cannot be removed', async () => {
    const { orgId, admin } = await createOrg(t, 'last-admin');
    const own = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/bindings?principal_id=${admin.userId}`, headers: { cookie: admin.cookie } });
    const bindingId = own.json<{ items: { id: string }[] }>().items[0]?.id ?? '';
    const stranger = crypto.randomUUID();
    await t.transactor.withTenant(orgId, (tx) =>
      tx.executeQuery(CompiledQuery.raw(`insert into role_bindings (tenant_id, id, principal_type, principal_id, built_in_role, created_at) values ($1, gen_random_uuid(), 'user', $2, 'tenant_admin', now())`, [orgId, stranger])),
    );
    assert.equal((await t.inject({ method: 'DELETE', url: `/api/v1/organizations/${orgId}/bindings/${bindingId}`, headers: { cookie: admin.cookie } })).statusCode, 409);
    const listed = await t.inject({ method: 'GET', url: `/api/v1/organizations/${orgId}/bindings`, headers: { cookie: admin.cookie } });
    assert.ok(!listed.json<{ items: { principal: { id: string } }[] }>().items.some((b) => b.principal.id === stranger), 'a forged binding is not listed');
  });

  it('TEN-1: the back-fill MACs the copy the migration took, not the live row; parapet_app cannot write a copy', async () => {
    const kept = await memberWithRole(t, org, 'viewer');
    const altered = await memberWithRole(t, org, 'viewer');
    await inject('update role_bindings set integrity_mac = null where id in ($1, $2)', [kept.bindingId, altered.bindingId]);
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { cookie: kept.cookie } })).statusCode === 200, false, 'without a MAC the binding grants nothing');
    // The owner is bound by the copies' forced RLS too: the migration copies before enabling it.
    await t.database.db.withOwner((session) =>
      session.exec(`alter table role_bindings_mac_upgrade no force row level security;
                    create policy probe_0063 on role_bindings for select to parapet_owner using (true);
                    insert into role_bindings_mac_upgrade select tenant_id, id, principal_type, principal_id, built_in_role, custom_role_id, project_id, environment_id,
                      conditions, expires_at, grant_id, created_by, created_at from role_bindings where id in ('${kept.bindingId}', '${altered.bindingId}');
                    drop policy probe_0063 on role_bindings;
                    alter table role_bindings_mac_upgrade force row level security`),
    );
    // After the copy (as if between the migration and the start), one binding is raised by hand.
    await inject("update role_bindings set built_in_role = 'tenant_admin' where id = $1", [altered.bindingId]);
    assert.deepEqual((await inject('select id from role_bindings_mac_upgrade')).rows, []);
    await assert.rejects(inject('insert into role_bindings_mac_upgrade (tenant_id, id) values ($1, $2)', [org.orgId, crypto.randomUUID()]), /permission denied|violates|null value/);
    assert.equal(await upgradeBindingMacs(t.transactor, createRowIntegrity(TEST_KEYRING.derive('row-integrity'))), 2);
    await t.transactor.withTenant(org.orgId, (tx) => t.app.services.access.changed(tx, org.orgId));
    assert.equal((await t.inject({ method: 'GET', url: `/api/v1/organizations/${org.orgId}/projects`, headers: { cookie: kept.cookie } })).statusCode, 200, 'a binding copied by the migration grants again');
    assert.equal((await adminOnly(altered)).statusCode, 403);
    assert.equal(await upgradeBindingMacs(t.transactor, createRowIntegrity(TEST_KEYRING.derive('row-integrity'))), 0, 'each copy is used once');
  });
});
