import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '../../platform/clock.ts';
import { FieldDecryptionError } from '../keys/field-encryption.ts';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../../../test/support/app.ts';
import { addMember, createOrg, memberWithRole, post, signUp } from '../../../test/support/access.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { allowRiskyWrites, deleteWithApproval, secondAdmin } from '../../../test/support/risky-writes.ts';

const DAY = 86_400_000;
const START = new Date('2026-06-01T00:00:00Z');

describe('data lifecycle attacks (DATA-2, DATA-3)', () => {
  const clock = manualClock(START);
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(async () => {
    await t.close();
  });

  /** An organization scheduled for deletion at the current time, with a webhook secret encrypted under its tenant key. */
  async function doomedOrg(label: string) {
    const org = await createOrg(t, label);
    const hook = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/audit/destinations`, headers: { cookie: org.admin.cookie }, payload: { kind: 'webhook', name: 'Hook', url: 'https://siem.example.com/parapet', enabled: false } });
    assert.equal(hook.statusCode, 201, hook.body);
    const destinationId = hook.json<{ id: string }>().id;
    const sealed = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('audit_destinations').select('secret_sealed').where('id', '=', destinationId).executeTakeFirstOrThrow());
    const context = { tenantId: org.orgId, table: 'audit_destinations', column: 'secret_sealed', rowId: destinationId };
    const second = await secondAdmin(t, org);
    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    assert.equal((await deleteWithApproval(t, `/api/v1/organizations/${org.orgId}`, org.admin.cookie, second.cookie)).statusCode, 200);
    return { ...org, context, sealed: sealed.secret_sealed ?? '' };
  }

  it("DATA-2: another user's and another tenant's data never appear in a user's export", async () => {
    clock.set(START);
    const a = await createOrg(t, 'exporter');
    const b = await createOrg(t, 'neighbour');
    // B also works in A's organization: a binding, an API key and audit events there that are B's, not A's.
    await addMember(t, a.orgId, b.admin.userId);
    const bBinding = await post(t, a.admin, `/api/v1/organizations/${a.orgId}/bindings`, { principal: { type: 'user', id: b.admin.userId }, role: 'security_admin', scope: {} });
    const bKey = await t.inject({ method: 'POST', url: `/api/v1/organizations/${a.orgId}/api-keys`, headers: { cookie: b.admin.cookie }, payload: { name: 'B key', permissions: ['projects.read'] } });
    assert.equal(bKey.statusCode, 201, bKey.body);
    const bRequest = await post(t, b.admin, `/api/v1/organizations/${a.orgId}/access-requests`, { role: 'viewer', reason: 'B asks for access', duration_minutes: 30 });
    await t.app.services.audit.sequencer.drain();
    const bEmail = (await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('email').where('id', '=', b.admin.userId).executeTakeFirstOrThrow())).email;
    const bSessions = await t.transactor.withPlatform((tx) => tx.selectFrom('sessions').select('id').where('user_id', '=', b.admin.userId).execute());

    const response = await t.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: { cookie: a.admin.cookie } });
    assert.equal(response.statusCode, 200, response.body);
    // A's own audit trail names B where A acted on B (A bound B to a role): those are A's records.
    // Everything else, and every event's actor, is A's alone.
    const { audit_events: trail, ...rest } = response.json<{ audit_events: { events: { actor: { id: string | null } }[] }[] }>();
    assert.ok(trail.every((log) => log.events.every((event) => event.actor.id === a.admin.userId)), "A's export holds an event whose actor is not A");
    const body = JSON.stringify(rest);
    const leaks = { 'B user id': b.admin.userId, 'B binding': bBinding, "B's organization": b.orgId, "B's organization name": 'Org neighbour', "B's project": b.projectId };
    for (const [what, value] of Object.entries(leaks)) assert.ok(!body.includes(value), `A's export contains ${what}`);
    const anywhere = { 'B email': bEmail, 'B API key': bKey.json<{ id: string }>().id, 'B access request': bRequest, "B's organization": b.orgId };
    for (const [what, value] of Object.entries(anywhere)) assert.ok(!response.body.includes(value), `A's export contains ${what}`);
    for (const session of bSessions) assert.ok(!response.body.includes(session.id), "A's export contains B's session");
    assert.ok(body.includes(a.orgId) && trail.some((log) => log.events.length > 0), 'the export is not vacuous');
  });

  it('DATA-3: nobody deletes another account, or an organization, without the permission to', async () => {
    const victim = await signUp(t, 'victim');
    const intruder = await signUp(t, 'intruder');
    // An ordinary user addressing another account by id gets what a missing account gets.
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/users/${victim.userId}`, headers: { cookie: intruder.cookie } }), 404, 'not_found');
    assertProblem(await t.inject({ method: 'DELETE', url: `/api/v1/users/${victim.userId}/deletion`, headers: { cookie: intruder.cookie } }), 404, 'not_found');
    assert.equal(await t.transactor.withPlatform((tx) => tx.selectFrom('user_deletions').select('user_id').where('user_id', '=', victim.userId).executeTakeFirst()), undefined);
    assert.equal((await t.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: victim.cookie } })).statusCode, 200);

    const org = await createOrg(t, 'guarded');
    await allowRiskyWrites(t, org.orgId, org.admin.cookie);
    const viewer = await memberWithRole(t, org, 'viewer');
    const otherAdmin = (await createOrg(t, 'other-tenant')).admin;
    const operatorEmail = `operator-${crypto.randomUUID()}@example.com`;
    await t.createUser(operatorEmail, TEST_PASSWORD, { platformAdmin: true });
    const operator = await t.login(operatorEmail, TEST_PASSWORD);
    const base = `/api/v1/organizations/${org.orgId}`;
    assertProblem(await t.inject({ method: 'DELETE', url: base, headers: { cookie: viewer.cookie } }), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'DELETE', url: base, headers: { cookie: otherAdmin.cookie } }), 404, 'not_found');
    assertProblem(await t.inject({ method: 'DELETE', url: base, headers: { cookie: operator } }), 404, 'not_found');
    assert.equal((await t.inject({ method: 'GET', url: `${base}/deletion`, headers: { cookie: org.admin.cookie } })).json<{ status: string }>().status, 'none');

    // Once scheduled, only holders of organization.delete may cancel it.
    const second = await secondAdmin(t, org);
    assert.equal((await deleteWithApproval(t, base, org.admin.cookie, second.cookie)).statusCode, 200);
    assertProblem(await t.inject({ method: 'DELETE', url: `${base}/deletion`, headers: { cookie: viewer.cookie } }), 403, 'forbidden');
    assertProblem(await t.inject({ method: 'DELETE', url: `${base}/deletion`, headers: { cookie: otherAdmin.cookie } }), 404, 'not_found');
    assert.equal((await t.inject({ method: 'GET', url: `${base}/deletion`, headers: { cookie: org.admin.cookie } })).json<{ status: string }>().status, 'pending');
    assert.equal((await t.inject({ method: 'DELETE', url: `${base}/deletion`, headers: { cookie: org.admin.cookie } })).statusCode, 204);
  });

  it('DATA-3: the grace period is honoured: nothing is purged one second before it ends, everything one second after (injected clock)', async () => {
    clock.set(START);
    const org = await doomedOrg('grace');
    const leaver = await signUp(t, 'grace-leaver');
    assert.equal((await t.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie: leaver.cookie } })).statusCode, 202);
    const { deletions } = t.app.services.lifecycle;

    clock.set(new Date(START.getTime() + 14 * DAY - 1000));
    assert.deepEqual(await deletions.purgeDue(), { users: 0, organizations: 0 });
    assert.ok(await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('id', '=', leaver.userId).executeTakeFirst()));
    assert.ok(await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('organizations').select('id').executeTakeFirst()));
    assert.equal(await t.app.services.keys.fields.decryptField(org.context, org.sealed).then((v) => v.length > 0), true);

    clock.set(new Date(START.getTime() + 14 * DAY + 1000));
    assert.deepEqual(await deletions.purgeDue(), { users: 1, organizations: 1 });
    assert.equal(await t.transactor.withPlatform((tx) => tx.selectFrom('users').select('id').where('id', '=', leaver.userId).executeTakeFirst()), undefined);
    assert.equal(await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('organizations').select('id').executeTakeFirst()), undefined);
    assert.equal((await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('memberships').select('user_id').execute())).length, 0);
  });

  it("DATA-3: after an organization's deletion its encrypted fields no longer decrypt, even when its rows and wrapped keys come back from a backup", async () => {
    clock.set(START);
    const org = await doomedOrg('shredded');
    // What a backup taken during the grace period holds: the organization, its wrapped tenant keys, the ciphertext.
    const backup = await t.transactor.withTenant(org.orgId, async (tx) => ({
      org: await tx.selectFrom('organizations').selectAll().where('id', '=', org.orgId).executeTakeFirstOrThrow(),
      keys: await tx.selectFrom('tenant_keys').selectAll().where('tenant_id', '=', org.orgId).execute(),
    }));
    assert.ok(backup.keys.length > 0 && backup.keys.every((k) => k.wrapped !== null));
    assert.ok((await t.app.services.keys.fields.decryptField(org.context, org.sealed)).length > 0);

    clock.advance(14 * DAY);
    await t.app.services.lifecycle.deletions.purgeDue();
    await assert.rejects(t.app.services.keys.fields.decryptField(org.context, org.sealed), FieldDecryptionError);

    // Restore the backup's rows, wrapped keys included: the root key would unwrap them, Parapet must not.
    await t.transactor.withTenant(org.orgId, async (tx) => {
      await tx.insertInto('organizations').values(backup.org).execute();
      // organization_id is generated from tenant_id (migration 0016).
      await tx.insertInto('tenant_keys').values(backup.keys.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'organization_id')) as typeof row)).execute();
    });
    await assert.rejects(t.app.services.keys.fields.decryptField(org.context, org.sealed), FieldDecryptionError);
    await assert.rejects(t.app.services.keys.fields.encryptField(org.context, 'new secret'), FieldDecryptionError);
  });
});
