import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { assertProblem } from '../../../test/support/problem.ts';
import { testDns, type TestDns } from '../sso/sso-test-fixture.ts';
import { auditEvents } from '../sso/sso-test-fixture-helpers.ts';
import { assertScimError, rolesOf, scim, scimOrg, type ScimOrg } from './scim-test-fixture.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

interface UserBody {
  id: string;
  userName: string;
  active: boolean;
  emails: { value: string; type?: string; primary?: boolean }[];
  name: { givenName?: string; familyName?: string };
  groups: { value: string }[];
}
interface ListBody<T> {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/** The Parapet account a SCIM user provisioned (the test reads the link the module keeps). */
async function accountOf(t: TestApp, org: ScimOrg, scimUserId: string): Promise<string> {
  const row = await t.transactor.withTenant(org.orgId, (tx) => tx.selectFrom('scim_users').select('user_id').where('id', '=', scimUserId).executeTakeFirstOrThrow());
  return row.user_id;
}

// AUTH-4 (issue 18 part 4): the request sequences Okta and Microsoft Entra ID send when they
// assign, update, deactivate and remove users and push groups, written from the vendors' documented
// request bodies (Okta "SCIM 2.0 protocol reference"; Microsoft "Understand the Microsoft Entra SCIM
// implementation" request/response examples).
describe('scim: Okta and Entra ID provisioning sequences (AUTH-4)', () => {
  let t: TestApp;
  let dns: TestDns;

  before(async () => {
    dns = await testDns();
    t = await createTestApp({ env: { PARAPET_SSO_DNS_SERVERS: dns.server } });
  });
  after(async () => {
    await t.close();
    await dns.close();
  });

  it('AUTH-4: discovery answers ServiceProviderConfig, ResourceTypes and Schemas with the directory token', async () => {
    const org = await scimOrg(t, dns, 'discovery');
    const base = `/scim/v2/${org.directoryId}`;
    const config = await scim(t, org.token, 'GET', `${base}/ServiceProviderConfig`);
    assert.equal(config.statusCode, 200, config.body);
    assert.match(String(config.headers['content-type']), /^application\/scim\+json/);
    assert.equal(config.json<{ patch: { supported: boolean } }>().patch.supported, true);
    const types = (await scim(t, org.token, 'GET', `${base}/ResourceTypes`)).json<ListBody<{ id: string }>>();
    assert.deepEqual(types.Resources.map((r) => r.id), ['User', 'Group']);
    const schemas = (await scim(t, org.token, 'GET', `${base}/Schemas`)).json<ListBody<{ id: string }>>();
    assert.deepEqual(schemas.Resources.map((r) => r.id), [USER, GROUP]);
  });

  it('AUTH-4: Okta assigns a user (filter by userName, POST), updates the profile (PUT), pushes a mapped group, deactivates and reactivates through PATCH', async () => {
    const org = await scimOrg(t, dns, 'okta');
    const base = `/scim/v2/${org.directoryId}`;
    const mapped = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/scim/directories/${org.directoryId}/group-roles`, headers: { cookie: org.admin.cookie }, payload: { group_name: 'Security Team', role: 'security_analyst' } });
    assert.equal(mapped.statusCode, 201, mapped.body);
    const again = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/scim/directories/${org.directoryId}/group-roles`, headers: { cookie: org.admin.cookie }, payload: { group_name: 'security team', role: 'security_analyst' } });
    assertProblem(again, 409, 'scim_mapping_exists');
    const email = `dade.murphy@${org.domain}`;

    // Okta first looks the user up by userName.
    const lookup = await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`);
    assert.equal(lookup.statusCode, 200, lookup.body);
    assert.deepEqual(lookup.json(), { schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await scim(t, org.token, 'POST', `${base}/Users`, {
      schemas: [USER],
      userName: email,
      name: { givenName: 'Dade', familyName: 'Murphy' },
      emails: [{ primary: true, value: email, type: 'work' }],
      displayName: 'Dade Murphy',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: 'Okta-sends-a-password-when-sync-is-on1',
      active: true,
    });
    assert.equal(created.statusCode, 201, created.body);
    const user = created.json<UserBody>();
    assert.equal(user.userName, email);
    assert.equal(user.active, true);
    assert.ok(!created.body.includes('Okta-sends-a-password'), 'a password is never stored nor answered');
    assert.equal(created.headers['location'], `${t.config.publicUrl.replace(/\/$/, '')}${base}/Users/${user.id}`);
    const userId = await accountOf(t, org, user.id);
    assert.deepEqual(await rolesOf(t, org, userId), ['viewer'], "a provisioned user is a member with the directory's default role");

    // The same userName again is a uniqueness conflict.
    assertScimError(await scim(t, org.token, 'POST', `${base}/Users`, { schemas: [USER], userName: email.toUpperCase(), emails: [{ value: email, primary: true }], active: true }), 409, 'uniqueness');

    assert.equal((await scim(t, org.token, 'GET', `${base}/Users/${user.id}`)).json<UserBody>().name.familyName, 'Murphy');
    // Okta updates a profile with PUT and the whole resource.
    const put = await scim(t, org.token, 'PUT', `${base}/Users/${user.id}`, { schemas: [USER], id: user.id, userName: email, name: { givenName: 'Dade', familyName: 'Zero Cool' }, emails: [{ primary: true, value: email, type: 'work' }], displayName: 'Zero Cool', active: true });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<UserBody>().name.familyName, 'Zero Cool');

    // Group push: create the group, rename it (path-less replace), add the member, remove the member.
    const group = await scim(t, org.token, 'POST', `${base}/Groups`, { schemas: [GROUP], displayName: 'Security', members: [] });
    assert.equal(group.statusCode, 201, group.body);
    const groupId = group.json<{ id: string }>().id;
    const renamed = await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Security Team' } }] });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const added = await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: user.id, display: email }] }] });
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual(added.json<{ members: { value: string }[] }>().members.map((m) => m.value), [user.id]);
    assert.deepEqual(await rolesOf(t, org, userId), ['security_analyst', 'viewer'], 'a mapped group gives its role');
    assert.deepEqual((await scim(t, org.token, 'GET', `${base}/Users/${user.id}`)).json<UserBody>().groups.map((g) => g.value), [groupId]);
    const removed = await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${user.id}"]` }] });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(await rolesOf(t, org, userId), ['viewer'], "leaving the group takes the group's role away");

    // Deactivation (Okta unassigns or deactivates): a path-less replace of active.
    const off = await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    assert.equal(off.statusCode, 200, off.body);
    assert.equal(off.json<UserBody>().active, false);
    assert.equal(await rolesOf(t, org, userId), undefined, 'a deactivated user is no longer a member');
    const inactive = await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${email}" and active eq false`)}`);
    assert.equal(inactive.json<ListBody<UserBody>>().totalResults, 1);
    // Reactivation restores the membership with the directory's roles.
    const on = await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
    assert.equal(on.statusCode, 200, on.body);
    assert.deepEqual(await rolesOf(t, org, userId), ['viewer']);
    assert.equal((await auditEvents(t, org.orgId, 'scim.user_deactivated')).length, 1);
    assert.equal((await auditEvents(t, org.orgId, 'scim.user_reactivated')).length, 1);

    assert.equal((await scim(t, org.token, 'DELETE', `${base}/Groups/${groupId}`)).statusCode, 204);
    assertScimError(await scim(t, org.token, 'GET', `${base}/Groups/${groupId}`), 404);
  });

  it("AUTH-4: Entra ID provisions (externalId lookup, POST with the enterprise extension), patches with capitalised ops and value paths, disables with \"False\", then deletes", async () => {
    const org = await scimOrg(t, dns, 'entra');
    const base = `/scim/v2/${org.directoryId}`;
    const mapped = await t.inject({ method: 'POST', url: `/api/v1/organizations/${org.orgId}/scim/directories/${org.directoryId}/group-roles`, headers: { cookie: org.admin.cookie }, payload: { group_name: 'Auditors', role: 'auditor' } });
    assert.equal(mapped.statusCode, 201, mapped.body);
    const upn = `Test_User_ab6490ee@${org.domain}`;
    const email = `Test_User_fd0ea19b@${org.domain}`;

    const probe = await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${upn}"`)}`);
    assert.equal(probe.json<ListBody<UserBody>>().totalResults, 0);
    const created = await scim(t, org.token, 'POST', `${base}/Users`, {
      schemas: [USER, ENTERPRISE],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: upn,
      active: true,
      emails: [{ primary: true, type: 'work', value: email }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: '123' } },
    });
    assert.equal(created.statusCode, 201, created.body);
    const user = created.json<UserBody>();
    const userId = await accountOf(t, org, user.id);
    assert.deepEqual(await rolesOf(t, org, userId), ['viewer']);

    const byExternal = await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`);
    assert.deepEqual(byExternal.json<ListBody<UserBody>>().Resources.map((r) => r.id), [user.id]);
    const byEmail = await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "${email.toLowerCase()}"`)}`);
    assert.deepEqual(byEmail.json<ListBody<UserBody>>().Resources.map((r) => r.id), [user.id]);

    // Entra's update: capitalised ops, a value path into emails, a sub-attribute, an attribute this server does not keep.
    const updated = await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: `updatedEmail@${org.domain}` },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: 'title', value: 'Manager' },
        { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Sales' },
      ],
    });
    assert.equal(updated.statusCode, 200, updated.body);
    const after = updated.json<UserBody>();
    assert.equal(after.name.familyName, 'updatedFamilyName');
    assert.deepEqual(after.emails, [{ primary: true, type: 'work', value: `updatedEmail@${org.domain}` }]);

    // Groups: created without members, found by displayName with members excluded, members added and removed by value list.
    const group = await scim(t, org.token, 'POST', `${base}/Groups`, { schemas: [GROUP], externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', meta: { resourceType: 'Group' } });
    assert.equal(group.statusCode, 201, group.body);
    const groupId = group.json<{ id: string }>().id;
    const found = await scim(t, org.token, 'GET', `${base}/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "displayName"')}`);
    const foundBody = found.json<ListBody<{ id: string; members?: unknown }>>();
    assert.deepEqual(foundBody.Resources.map((g) => g.id), [groupId]);
    assert.equal(foundBody.Resources[0]?.members, undefined);
    const renamed = await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Auditors' }] });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const add = await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: user.id }] }] });
    assert.equal(add.statusCode, 200, add.body);
    assert.deepEqual(await rolesOf(t, org, userId), ['auditor', 'viewer']);
    const member = await scim(t, org.token, 'GET', `${base}/Groups?filter=${encodeURIComponent(`id eq "${groupId}" and members[value eq "${user.id}"]`)}`);
    assert.equal(member.json<ListBody<unknown>>().totalResults, 1);
    const remove = await scim(t, org.token, 'PATCH', `${base}/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: user.id }] }] });
    assert.equal(remove.statusCode, 200, remove.body);
    assert.deepEqual(await rolesOf(t, org, userId), ['viewer']);

    // Entra disables with the string "False".
    const disabled = await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    assert.equal(disabled.statusCode, 200, disabled.body);
    assert.equal(disabled.json<UserBody>().active, false);
    assert.equal(await rolesOf(t, org, userId), undefined);
    const enabled = await scim(t, org.token, 'PATCH', `${base}/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.deepEqual(await rolesOf(t, org, userId), ['viewer']);

    // Removal from the app: DELETE suspends at once and the resource is gone.
    const deleted = await scim(t, org.token, 'DELETE', `${base}/Users/${user.id}`);
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal(await rolesOf(t, org, userId), undefined);
    assertScimError(await scim(t, org.token, 'GET', `${base}/Users/${user.id}`), 404);
    // Entra probes a missing user and expects a SCIM 404.
    assertScimError(await scim(t, org.token, 'GET', `${base}/Users/${crypto.randomUUID()}`), 404);
    assert.equal((await scim(t, org.token, 'DELETE', `${base}/Groups/${groupId}`)).statusCode, 204);
  });

  it('AUTH-4: lists page with startIndex and count (RFC 7644 §3.4.2.4)', async () => {
    const org = await scimOrg(t, dns, 'paging');
    const base = `/scim/v2/${org.directoryId}`;
    for (const n of [1, 2, 3]) {
      const created = await scim(t, org.token, 'POST', `${base}/Users`, { schemas: [USER], userName: `u${n}@${org.domain}`, active: true });
      assert.equal(created.statusCode, 201, created.body);
    }
    const page = (await scim(t, org.token, 'GET', `${base}/Users?startIndex=2&count=1`)).json<ListBody<UserBody>>();
    assert.equal(page.totalResults, 3);
    assert.equal(page.startIndex, 2);
    assert.equal(page.itemsPerPage, 1);
    assert.deepEqual(page.Resources.map((r) => r.userName), [`u2@${org.domain}`]);
    const none = (await scim(t, org.token, 'GET', `${base}/Users?count=0`)).json<ListBody<UserBody>>();
    assert.equal(none.totalResults, 3);
    assert.equal(none.Resources.length, 0);
    const starts = (await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent('userName sw "U1" or userName ew "3@' + org.domain + '"')}`)).json<ListBody<UserBody>>();
    assert.deepEqual(starts.Resources.map((r) => r.userName).sort(), [`u1@${org.domain}`, `u3@${org.domain}`]);
    const present = (await scim(t, org.token, 'GET', `${base}/Users?filter=${encodeURIComponent('externalId pr')}`)).json<ListBody<UserBody>>();
    assert.equal(present.totalResults, 0);
  });
});
